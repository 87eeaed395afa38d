import { makeDocInvocation } from './doc-invocation.js';
import { AGENT_RUNTIMES } from './index.js';
import { claudeCodeArgs } from './claude-code.js';
import { codexArgs } from './codex.js';
import { cursorArgs } from './cursor.js';
import { geminiArgs } from './gemini.js';
import { opencodeArgs } from './opencode.js';
import type { AgentInvocation, AgentMode } from './agent-runtime.js';
import { RUNTIME_TABLE } from './runtime-table.js';

const ARGS: Record<string, (invocation: AgentInvocation) => string[]> = {
  'claude-code': claudeCodeArgs,
  codex: codexArgs,
  gemini: geminiArgs,
  opencode: opencodeArgs,
  cursor: cursorArgs,
};

/** The command line a mode runs, with the prompt and model shown as placeholders. */
function commandLine(id: string, binary: string, mode: AgentMode): string {
  const args = ARGS[id]?.(makeDocInvocation(mode)) ?? [];
  return [binary, ...args].map((a) => (a === '<prompt>' || a === '<model>' || !/[\s"'$]/.test(a) ? a : `'${a}'`)).join(' ');
}

/** The README's runtime table, generated from the runtime table and the adapters' own argument builders. */
export function renderRuntimeTable(): string {
  const rows = ['| runtime | provider | credentials | default model | edit (headless) | plan and review (read-only) |', '|---|---|---|---|---|---|'];
  for (const spec of RUNTIME_TABLE) {
    if (!spec.binary || !AGENT_RUNTIMES.has(spec.id)) continue;
    for (const provider of spec.providers) {
      rows.push(
        `| ${spec.id}${spec.npmPackage ? ` (\`${spec.npmPackage}\`)` : ''} | ${provider.provider} | ${provider.how} | \`${provider.defaultModel}\` | \`${commandLine(spec.id, spec.binary, 'edit')}\` | \`${commandLine(spec.id, spec.binary, 'plan')}\` |`,
      );
    }
  }
  return rows.join('\n');
}
