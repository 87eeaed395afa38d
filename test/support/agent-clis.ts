import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { readAgentsManifest } from '../../src/runner/agents/agents-manifest.js';

/**
 * The real agent CLIs the tests drive: the pins of `runner/agents`, installed
 * by `scripts/install-agents.ts` — the runner image's own install path — into
 * a cache the script leaves alone while its stamp matches the lockfile.
 */
export type AgentCli = 'claude' | 'codex' | 'gemini' | 'opencode';

export interface AgentClis {
  /** The install's `bin/`: put it on PATH to run them as a runner would. */
  binDir: string;
  /** CLI → its executable in `bin/`. */
  bins: Record<AgentCli, string>;
  versions: Record<AgentCli, string>;
  /** A prepared OpenCode config dir (its plugin dependency installed) to copy into each run's `~/.config/opencode`. */
  opencodeConfigTemplate: string;
}

const ROOT = resolve(import.meta.dirname, '../..');

/** Where the install goes: `AI_IMPLEMENT_AGENTS_PREFIX`, else where `npm run agents:install` puts it. */
export function agentsPrefix(): string {
  return process.env.AI_IMPLEMENT_AGENTS_PREFIX ?? join(ROOT, 'node_modules', '.cache', 'ai-implement-agents');
}

/** Installs the pinned CLIs unless they already are; safe to call from parallel test workers. */
export async function ensureAgentClis(): Promise<AgentClis> {
  const prefix = agentsPrefix();
  mkdirSync(dirname(prefix), { recursive: true });
  await withLock(`${prefix}.lock`, async () => {
    // cursor.com is unreachable from CI; Cursor's install has its own test.
    const { code, stderr } = await runInstallScript([prefix, '--skip-cursor']);
    if (code !== 0) throw new Error(`scripts/install-agents.ts exited ${code}:\n${stderr}`);
  });
  const manifest = await readAgentsManifest(join(ROOT, 'runner', 'agents'));
  const versionOf = (binary: string): string => {
    const pin = manifest.agents.find((agent) => agent.binary === binary);
    if (!pin) throw new Error(`runner/agents pins no ${binary}`);
    return pin.version;
  };
  const names: AgentCli[] = ['claude', 'codex', 'gemini', 'opencode'];
  const binDir = join(prefix, 'bin');
  return {
    binDir,
    bins: Object.fromEntries(names.map((name) => [name, join(binDir, name)])) as Record<AgentCli, string>,
    versions: Object.fromEntries(names.map((name) => [name, versionOf(name)])) as Record<AgentCli, string>,
    opencodeConfigTemplate: join(prefix, 'opencode-config'),
  };
}

export function runInstallScript(args: string[]): Promise<{ code: number | null; stderr: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/install-agents.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stderr, ms: performance.now() - started }));
  });
}

/** A directory lock across processes: vitest runs test files in parallel forks. */
export async function withLock(lock: string, fn: () => Promise<void>): Promise<void> {
  const limitMs = 20 * 60_000;
  const deadline = performance.now() + limitMs;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A lock older than the longest install belongs to a dead process.
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > limitMs) rmSync(lock, { recursive: true, force: true });
      if (performance.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
