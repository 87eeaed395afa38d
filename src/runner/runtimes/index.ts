import { UnknownRuntimeError, type AgentRuntime } from './agent-runtime.js';
import { claudeCodeRuntime } from './claude-code.js';
import { demoRuntime } from './demo-runtime.js';
import { codexRuntime } from './codex.js';
import { cursorRuntime } from './cursor.js';
import { geminiRuntime } from './gemini.js';
import { opencodeRuntime } from './opencode.js';

export * from './agent-runtime.js';
export { claudeCodeArgs } from './claude-code.js';
export { codexArgs } from './codex.js';
export { cursorArgs } from './cursor.js';
export { geminiArgs } from './gemini.js';
export { opencodeArgs, opencodeConfig } from './opencode.js';
export { RUNTIME_TABLE, runtimeSpecOf, type RuntimeProviderSpec, type RuntimeSpec } from './runtime-table.js';
export { demoChangePath } from './demo-runtime.js';

/** Every agent runtime a job may name in `agent.runtime`. */
export const AGENT_RUNTIMES: ReadonlyMap<string, AgentRuntime> = new Map(
  [claudeCodeRuntime, opencodeRuntime, codexRuntime, geminiRuntime, cursorRuntime, demoRuntime].map((r) => [r.id, r]),
);

export function resolveAgentRuntime(id: string, registry: ReadonlyMap<string, AgentRuntime> = AGENT_RUNTIMES): AgentRuntime {
  const runtime = registry.get(id);
  if (!runtime) throw new UnknownRuntimeError(id, [...registry.keys()]);
  return runtime;
}
