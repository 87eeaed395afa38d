import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The agent CLIs the real-CLI tests drive, installed once into a cache
 * directory. This stands in for the official agents manifest and installer
 * (`runner/agents/`); switching means replacing `ensureAgentClis()`'s body and
 * keeping its answer.
 */
export const AGENT_CLI_PACKAGES = {
  claude: { pkg: '@anthropic-ai/claude-code', version: '2.1.332', bin: 'claude' },
  codex: { pkg: '@openai/codex', version: '0.171.0', bin: 'codex' },
  gemini: { pkg: '@google/gemini-cli', version: '0.61.0', bin: 'gemini' },
  opencode: { pkg: 'opencode-ai', version: '1.18.33', bin: 'opencode' },
} as const;

/** OpenCode installs this into its config dir on start unless it is already there (see `opencodeConfigTemplate`). */
export const OPENCODE_PLUGIN = { pkg: '@opencode-ai/plugin', version: '1.18.33' } as const;

export type AgentCli = keyof typeof AGENT_CLI_PACKAGES;

export interface AgentClis {
  /** CLI → the executable `npm` linked into `node_modules/.bin`, as a PATH lookup would find it. */
  bins: Record<AgentCli, string>;
  versions: Record<AgentCli, string>;
  /** A prepared OpenCode config dir (its plugin dependency installed) to copy into each run's `~/.config/opencode`. */
  opencodeConfigTemplate: string;
}

const ROOT = resolve(import.meta.dirname, '../..');

/** Where the CLIs live: `AGENT_CLIS_DIR`, else `.cache/agent-clis` in the checkout (git-ignored). */
export function agentClisDir(): string {
  return process.env.AGENT_CLIS_DIR ?? join(ROOT, '.cache', 'agent-clis');
}

/** Installs the pinned CLIs unless they already are; safe to call from parallel test workers. */
export async function ensureAgentClis(): Promise<AgentClis> {
  const dir = agentClisDir();
  mkdirSync(dir, { recursive: true });
  await withLock(join(dir, '.install-lock'), async () => {
    if (!installed(dir)) await install(dir);
    if (!pluginInstalled(dir)) await installOpencodePlugin(dir);
  });
  const bins = {} as Record<AgentCli, string>;
  const versions = {} as Record<AgentCli, string>;
  for (const [cli, spec] of Object.entries(AGENT_CLI_PACKAGES) as Array<[AgentCli, (typeof AGENT_CLI_PACKAGES)[AgentCli]]>) {
    bins[cli] = join(dir, 'node_modules', '.bin', spec.bin);
    versions[cli] = spec.version;
  }
  return { bins, versions, opencodeConfigTemplate: join(dir, 'opencode-config') };
}

function installedVersion(dir: string, pkg: string): string | undefined {
  const file = join(dir, 'node_modules', pkg, 'package.json');
  if (!existsSync(file)) return undefined;
  return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version;
}

function installed(dir: string): boolean {
  return Object.values(AGENT_CLI_PACKAGES).every(
    (spec) => installedVersion(dir, spec.pkg) === spec.version && existsSync(join(dir, 'node_modules', '.bin', spec.bin)),
  );
}

async function install(dir: string): Promise<void> {
  if (!existsSync(join(dir, 'package.json'))) writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'agent-clis-cache', private: true }, null, 2));
  const specs = Object.values(AGENT_CLI_PACKAGES).map((s) => `${s.pkg}@${s.version}`);
  // The postinstall scripts matter: Claude Code and OpenCode copy their native binary over a placeholder there.
  await run('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', '--save-exact', ...specs], { timeout: 15 * 60_000, maxBuffer: 16 * 1024 * 1024 });
}

function pluginInstalled(dir: string): boolean {
  return installedVersion(join(dir, 'opencode-config'), OPENCODE_PLUGIN.pkg) === OPENCODE_PLUGIN.version;
}

/**
 * OpenCode writes `{"dependencies":{"@opencode-ai/plugin":"<its version>"}}`
 * to its config dir and runs `npm install` there on start when the package is
 * missing; a copy of this prepared dir makes each run skip that.
 */
async function installOpencodePlugin(dir: string): Promise<void> {
  const config = join(dir, 'opencode-config');
  mkdirSync(config, { recursive: true });
  writeFileSync(join(config, 'package.json'), JSON.stringify({ dependencies: { [OPENCODE_PLUGIN.pkg]: OPENCODE_PLUGIN.version } }, null, 2));
  await run('npm', ['install', '--prefix', config, '--no-audit', '--no-fund'], { timeout: 10 * 60_000, maxBuffer: 16 * 1024 * 1024 });
}

/** A directory lock across processes: vitest runs test files in parallel forks. */
async function withLock(lock: string, fn: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 20 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A lock older than the longest install belongs to a dead process.
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > 20 * 60_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
