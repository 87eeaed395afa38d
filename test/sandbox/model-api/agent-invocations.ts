import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentClis } from '../../support/agent-clis.js';
import type { AgentCliSpawn } from '../../support/run-agent-cli.js';

/**
 * How each real agent CLI is run headless against the model-api emulator:
 * arguments, environment and config files. The README of
 * `src/sandbox/model-api/` records what these produced.
 */

export interface AgentWorkspace {
  root: string;
  /** The CLI's HOME: every config and cache dir of the run lives under it. */
  home: string;
  /** A git work tree the agent edits. */
  workdir: string;
}

export interface InvocationInput {
  clis: AgentClis;
  workspace: AgentWorkspace;
  /** The emulator's base URL (`http://127.0.0.1:PORT`). */
  baseUrl: string;
  /** Selects the conversation script; the emulator never checks it otherwise. */
  apiKey: string;
  prompt: string;
  /** The model to ask for; each CLI's constant below when unset. */
  model?: string;
  timeoutMs?: number;
  /**
   * Caps the CLI's retries of a failed model request where it has a knob
   * (Claude Code, Codex, Gemini CLI); OpenCode has none and keeps its default.
   */
  retries?: number;
  /**
   * How long the CLI waits on a silent model request before retrying, where it
   * has a knob: Claude Code's `API_TIMEOUT_MS` (a request whose answer never
   * starts; its stream idle timeout cannot go below 300 s) and Codex's
   * `stream_idle_timeout_ms`. Gemini CLI and OpenCode have none that helped.
   */
  stallTimeoutMs?: number;
}

export function makeWorkspace(prefix: string): AgentWorkspace {
  const root = mkdtempSync(join(tmpdir(), `model-api-${prefix}-`));
  const home = join(root, 'home');
  const workdir = join(root, 'work');
  mkdirSync(home);
  mkdirSync(workdir);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: workdir, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  writeFileSync(join(workdir, 'README.md'), '# scratch\n');
  git('add', '.');
  git('-c', 'user.name=Test', '-c', 'user.email=test@example.com', 'commit', '-qm', 'init');
  return { root, home, workdir };
}

/** PATH for the CLIs: Codex's and Gemini's launchers are node scripts; all of them shell out to git and bash. */
function baseEnv(home: string): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8', TERM: 'dumb' };
}

export const CLAUDE_MODEL = 'claude-sonnet-4-5';
export const CODEX_MODEL = 'gpt-5.5';
export const GEMINI_MODEL = 'gemini-2.5-pro';
export const OPENCODE_MODEL = 'anthropic/claude-sonnet-4-5';

export function claudeInvocation(input: InvocationInput): AgentCliSpawn {
  const { workspace: ws } = input;
  return {
    command: input.clis.bins.claude,
    args: ['-p', input.prompt, '--output-format', 'json', '--permission-mode', 'bypassPermissions', '--model', input.model ?? CLAUDE_MODEL],
    cwd: ws.workdir,
    env: {
      ...baseEnv(ws.home),
      ANTHROPIC_BASE_URL: input.baseUrl,
      ANTHROPIC_API_KEY: input.apiKey,
      CLAUDE_CONFIG_DIR: join(ws.home, '.claude'),
      // As root, Claude Code refuses bypassPermissions unless told it runs in a sandbox.
      IS_SANDBOX: '1',
      DISABLE_AUTOUPDATER: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      ...(input.retries === undefined ? {} : { CLAUDE_CODE_MAX_RETRIES: String(input.retries) }),
      ...(input.stallTimeoutMs === undefined ? {} : { API_TIMEOUT_MS: String(input.stallTimeoutMs) }),
    },
    timeoutMs: input.timeoutMs ?? 120_000,
  };
}

export const CODEX_KEY_VAR = 'MODEL_API_KEY';

/** Codex ignores OPENAI_BASE_URL; a custom model provider set with `-c` points it at the emulator. */
export function codexInvocation(input: InvocationInput): AgentCliSpawn {
  const { workspace: ws } = input;
  const retries = input.retries === undefined ? [] : [`model_providers.emulator.request_max_retries=${input.retries}`, `model_providers.emulator.stream_max_retries=${input.retries}`];
  const idle = input.stallTimeoutMs === undefined ? [] : [`model_providers.emulator.stream_idle_timeout_ms=${input.stallTimeoutMs}`];
  const provider = [
    'model_provider=emulator',
    'model_providers.emulator.name=Emulator',
    `model_providers.emulator.base_url=${input.baseUrl}/v1`,
    `model_providers.emulator.env_key=${CODEX_KEY_VAR}`,
    'model_providers.emulator.wire_api=responses',
    ...retries,
    ...idle,
  ].flatMap((c) => ['-c', c]);
  const codexHome = join(ws.home, '.codex');
  mkdirSync(codexHome, { recursive: true });
  return {
    command: input.clis.bins.codex,
    args: ['exec', '--json', '--ephemeral', '--skip-git-repo-check', '--sandbox', 'workspace-write', '-m', input.model ?? CODEX_MODEL, ...provider, input.prompt],
    cwd: ws.workdir,
    env: { ...baseEnv(ws.home), CODEX_HOME: codexHome, [CODEX_KEY_VAR]: input.apiKey },
    timeoutMs: input.timeoutMs ?? 120_000,
  };
}

export function geminiInvocation(input: InvocationInput): AgentCliSpawn {
  const { workspace: ws } = input;
  mkdirSync(join(ws.home, '.gemini'), { recursive: true });
  // With only GOOGLE_GEMINI_BASE_URL, headless mode picks an auth type it then rejects (exit 41).
  const settings = {
    security: { auth: { selectedType: 'gemini-api-key' } },
    telemetry: { enabled: false },
    general: { disableAutoUpdate: true, disableUpdateNag: true, ...(input.retries === undefined ? {} : { maxAttempts: input.retries + 1 }) },
    privacy: { usageStatisticsEnabled: false },
  };
  writeFileSync(join(ws.home, '.gemini', 'settings.json'), JSON.stringify(settings, null, 2));
  return {
    command: input.clis.bins.gemini,
    args: ['-p', input.prompt, '--output-format', 'json', '--approval-mode', 'yolo', '--skip-trust', '-m', input.model ?? GEMINI_MODEL],
    cwd: ws.workdir,
    env: {
      ...baseEnv(ws.home),
      GOOGLE_GEMINI_BASE_URL: input.baseUrl,
      GEMINI_API_KEY: input.apiKey,
      // Keeps the CLI in one process instead of relaunching itself with more heap.
      GEMINI_CLI_NO_RELAUNCH: 'true',
    },
    timeoutMs: input.timeoutMs ?? 120_000,
  };
}

export function opencodeInvocation(input: InvocationInput): AgentCliSpawn {
  const { workspace: ws } = input;
  // A copy of the prepared config dir keeps OpenCode from running `npm install` on start.
  cpSync(input.clis.opencodeConfigTemplate, join(ws.home, '.config', 'opencode'), { recursive: true });
  const config = {
    $schema: 'https://opencode.ai/config.json',
    model: input.model ?? OPENCODE_MODEL,
    provider: { anthropic: { options: { baseURL: `${input.baseUrl}/v1`, apiKey: input.apiKey } } },
    permission: { edit: 'allow', bash: 'allow', webfetch: 'deny' },
    autoupdate: false,
    share: 'disabled',
  };
  return {
    command: input.clis.bins.opencode,
    args: ['run', '--format', 'json', '--pure', input.prompt],
    cwd: ws.workdir,
    env: {
      ...baseEnv(ws.home),
      OPENCODE_CONFIG_CONTENT: JSON.stringify(config),
      OPENCODE_DISABLE_MODELS_FETCH: 'true',
      OPENCODE_DISABLE_AUTOUPDATE: 'true',
      OPENCODE_DISABLE_SHARE: 'true',
      OPENCODE_DISABLE_LSP_DOWNLOAD: 'true',
      OPENCODE_DISABLE_DEFAULT_PLUGINS: 'true',
    },
    timeoutMs: input.timeoutMs ?? 120_000,
  };
}
