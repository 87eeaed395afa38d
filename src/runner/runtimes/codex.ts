import { mkdir } from 'node:fs/promises';
import { cliRuntime, type AgentInvocation, type ParsedAgentOutput } from './agent-runtime.js';
import { jsonLines, numberOr, recordOf } from './cli-json.js';

/** The model provider the runner defines when the job names an OpenAI-compatible base URL (a gateway, a proxy). */
const CUSTOM_PROVIDER = 'ai-implement';

export function codexArgs(invocation: AgentInvocation): string[] {
  const args = ['exec', '--json', '--ephemeral', '--skip-git-repo-check', '--model', invocation.model];
  // Inside our own container the clone is the sandbox: codex's own (seccomp/landlock) cannot start under Docker's
  // default profile, and with it an edit fails while codex still exits 0. Read-only passes keep its read-only sandbox.
  args.push('--sandbox', invocation.mode === 'edit' ? 'danger-full-access' : 'read-only');
  const baseUrl = invocation.env.OPENAI_BASE_URL;
  if (baseUrl) {
    // codex ignores OPENAI_BASE_URL; a custom provider is the documented way to point it elsewhere.
    args.push(
      '-c', `model_provider=${CUSTOM_PROVIDER}`,
      '-c', `model_providers.${CUSTOM_PROVIDER}.name=${CUSTOM_PROVIDER}`,
      '-c', `model_providers.${CUSTOM_PROVIDER}.base_url=${baseUrl}`,
      '-c', `model_providers.${CUSTOM_PROVIDER}.env_key=CODEX_API_KEY`,
      '-c', `model_providers.${CUSTOM_PROVIDER}.wire_api=responses`,
    );
  }
  args.push(invocation.prompt);
  return args;
}

export const codexRuntime = cliRuntime({
  id: 'codex',
  args: codexArgs,
  env(invocation) {
    // `codex exec` logs in from CODEX_API_KEY; an OpenAI key alone is not enough.
    const key = invocation.env.CODEX_API_KEY || invocation.env.OPENAI_API_KEY || '';
    return { CODEX_HOME: `${invocation.home}/.codex`, ...(key ? { CODEX_API_KEY: key } : {}) };
  },
  async prepare(invocation) {
    // Codex refuses to start when CODEX_HOME does not exist.
    await mkdir(`${invocation.home}/.codex`, { recursive: true });
  },
  parse(output): ParsedAgentOutput {
    let text: string | undefined;
    let failure: string | undefined;
    let lastError: string | undefined;
    let model: string | undefined;
    const tokens = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };
    let sawUsage = false;
    for (const event of jsonLines(output.stdout)) {
      const type = event.type;
      if (type === 'item.completed') {
        const item = recordOf(event.item);
        if (item.type === 'agent_message' && typeof item.text === 'string') text = item.text;
        // Error items are warnings (a model without metadata, say); the turn decides whether it failed.
        if (item.type === 'error' && typeof item.message === 'string') lastError = item.message;
      } else if (type === 'turn.completed') {
        const usage = recordOf(event.usage);
        sawUsage = true;
        // OpenAI counts cached reads and cache writes inside input_tokens; ours are apart (they are priced apart).
        const cached = numberOr(usage.cached_input_tokens);
        const written = numberOr(usage.cache_write_input_tokens);
        tokens.input += Math.max(0, numberOr(usage.input_tokens) - cached - written);
        tokens.output += numberOr(usage.output_tokens);
        tokens.cacheRead += cached;
        tokens.cacheWrite += written;
      } else if (type === 'turn.failed') {
        failure = String(recordOf(event.error).message ?? 'the turn failed');
      } else if (type === 'error' && typeof event.message === 'string') {
        // "Reconnecting... n/5 (…)" while it retries; the last one explains a failure.
        lastError = event.message;
      } else if (type === 'thread.started' && typeof event.model === 'string') {
        model = event.model;
      }
    }
    const errorText = failure ?? (output.exitCode !== 0 ? lastError : undefined);
    return {
      ...(text !== undefined ? { text } : {}),
      ...(sawUsage ? { tokens } : {}),
      ...(model ? { model } : {}),
      ...(errorText ? { errorText } : {}),
      ...(failure ? { failed: true } : {}),
    };
  },
});
