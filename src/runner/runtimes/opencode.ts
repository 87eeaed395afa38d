import { existsSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { cliRuntime, type AgentInvocation, type ParsedAgentOutput } from './agent-runtime.js';
import { findOnPath } from './check-runtime.js';
import { jsonLines, numberOr, recordOf } from './cli-json.js';

export function opencodeArgs(invocation: AgentInvocation): string[] {
  return ['run', '--format', 'json', '--pure', '--model', invocation.model, invocation.prompt];
}

/** OpenCode's config, given inline: the provider's base URL when the job names one, and what the agent may do. */
export function opencodeConfig(invocation: AgentInvocation): Record<string, unknown> {
  const edit = invocation.mode === 'edit' ? 'allow' : 'deny';
  const provider: Record<string, unknown> = {};
  // ANTHROPIC_BASE_URL is the host (as Claude Code takes it); OpenCode's Anthropic provider wants the API root, /v1.
  const anthropic = invocation.env.ANTHROPIC_BASE_URL?.replace(/\/+$/, '');
  if (invocation.provider === 'anthropic' && anthropic) provider.anthropic = { options: { baseURL: anthropic.endsWith('/v1') ? anthropic : `${anthropic}/v1` } };
  if (invocation.provider === 'openai' && invocation.env.OPENAI_BASE_URL) provider.openai = { options: { baseURL: invocation.env.OPENAI_BASE_URL } };
  return {
    $schema: 'https://opencode.ai/config.json',
    autoupdate: false,
    share: 'disabled',
    ...(Object.keys(provider).length > 0 ? { provider } : {}),
    permission: { edit, bash: edit, webfetch: 'deny' },
  };
}

export const opencodeRuntime = cliRuntime({
  id: 'opencode',
  args: opencodeArgs,
  env(invocation) {
    return {
      OPENCODE_CONFIG_CONTENT: JSON.stringify(opencodeConfig(invocation)),
      OPENCODE_DISABLE_AUTOUPDATE: 'true',
      OPENCODE_DISABLE_SHARE: 'true',
      OPENCODE_DISABLE_MODELS_FETCH: 'true',
      OPENCODE_DISABLE_LSP_DOWNLOAD: 'true',
      OPENCODE_DISABLE_DEFAULT_PLUGINS: 'true',
    };
  },
  async prepare(invocation) {
    // OpenCode installs its plugin package into its config directory from the network at every start unless it is
    // there; the agents install keeps a pinned copy beside bin/ (PREFIX/opencode-config) for each run's own home.
    const bin = await findOnPath('opencode', invocation.env.PATH ?? '');
    const template = bin ? join(dirname(bin), 'opencode-config') : undefined;
    if (template && existsSync(template)) await cp(template, join(invocation.home, '.config', 'opencode'), { recursive: true });
  },
  parse(output): ParsedAgentOutput {
    const texts: string[] = [];
    const tokens = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };
    let cost = 0;
    let sawStep = false;
    let errorText: string | undefined;
    let toolFailed: string | undefined;
    for (const event of jsonLines(output.stdout)) {
      const part = recordOf(event.part);
      if (event.type === 'text' && typeof part.text === 'string') texts.push(part.text);
      else if (event.type === 'step_finish') {
        sawStep = true;
        const t = recordOf(part.tokens);
        const cache = recordOf(t.cache);
        tokens.input += numberOr(t.input);
        tokens.output += numberOr(t.output) + numberOr(t.reasoning);
        tokens.cacheRead += numberOr(cache.read);
        tokens.cacheWrite += numberOr(cache.write);
        cost += numberOr(part.cost);
      } else if (event.type === 'tool_use' && recordOf(part.state).status === 'error') {
        // A rejected write or an invalid tool call still exits 0.
        toolFailed = String(recordOf(part.state).error ?? 'a tool call failed');
      } else if (event.type === 'error') {
        errorText = String(recordOf(event.error).message ?? recordOf(recordOf(event.error).data).message ?? 'the agent reported an error');
      }
    }
    return {
      ...(texts.length > 0 ? { text: texts.at(-1) } : {}),
      ...(sawStep ? { tokens, costUsd: cost } : {}),
      ...(errorText ? { errorText, failed: true } : {}),
      ...(toolFailed ? { toolFailed } : {}),
    };
  },
});
