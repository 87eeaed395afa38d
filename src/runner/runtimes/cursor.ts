import { cliRuntime, type AgentInvocation, type ParsedAgentOutput } from './agent-runtime.js';
import { lastJsonValue, recordOf } from './cli-json.js';

export function cursorArgs(invocation: AgentInvocation): string[] {
  // --force lets an edit write without asking; --trust skips the workspace-trust prompt headless mode cannot answer.
  return ['-p', '--output-format', 'json', '--trust', '--model', invocation.model, ...(invocation.mode === 'edit' ? ['--force'] : []), invocation.prompt];
}

export const cursorRuntime = cliRuntime({
  id: 'cursor',
  args: cursorArgs,
  parse(output): ParsedAgentOutput {
    const doc = recordOf(lastJsonValue(output.stdout));
    if (Object.keys(doc).length === 0) return {};
    const failed = doc.is_error === true || doc.subtype === 'error';
    return {
      ...(typeof doc.result === 'string' ? { text: doc.result } : {}),
      ...(failed ? { failed: true, errorText: typeof doc.result === 'string' ? doc.result : 'the agent reported an error' } : {}),
    };
  },
});
