import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnServer, type SpawnedServer } from '../support/spawn-server.js';

const running: SpawnedServer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  const servers = running.splice(0);
  for (const server of servers) server.kill();
  await Promise.all(servers.map((server) => server.exited));
  // A git process the sandbox started may still be writing into the data dir for a moment after its server died.
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ai-implement-boot-'));
  dirs.push(dir);
  return dir;
}

function start(env: Record<string, string>, wrapper: readonly string[] = []): SpawnedServer {
  const server = spawnServer(env, wrapper);
  running.push(server);
  return server;
}

describe('booting the compiled server (what `npm start` runs)', () => {
  it('runs sandbox mode without credentials: banner with admin URL and access code, /healthz 200 within 10 s', async () => {
    const started = Date.now();
    const server = start({ DATA_DIR: dataDir(), PORT: '0', LOG_LEVEL: 'silent' });
    const [, adminUrl, code] = await server.waitFor(/Admin:\s+(http:\/\/127\.0\.0\.1:\d+\/admin)[\s\S]*Access code:\s+(\S+)/, 10_000);
    expect(server.stdout()).toContain('SANDBOX');
    expect(code!.length).toBeGreaterThanOrEqual(20);
    const base = adminUrl!.replace(/\/admin$/, '');
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });

  it('uses ADMIN_ACCESS_CODE in the banner when it is set', async () => {
    const server = start({ DATA_DIR: dataDir(), PORT: '0', LOG_LEVEL: 'silent', ADMIN_ACCESS_CODE: 'operator-chosen-code-1' });
    await server.waitFor(/Access code:\s+operator-chosen-code-1/);
  });

  it('starts again within 5 s after kill -9 as PID 1, as in a container, although the lock names pid 1', async () => {
    // `--kill-child`: killing unshare kills the namespace's PID 1, which takes every process of the namespace with it.
    const asPid1 = ['unshare', '--pid', '--fork', '--mount-proc', '--kill-child=SIGKILL'];
    const dir = dataDir();
    const env = { DATA_DIR: dir, PORT: '0', LOG_LEVEL: 'silent' };
    const first = start(env, asPid1);
    await first.waitFor(/Access code:/, 15_000);
    expect(JSON.parse(readFileSync(join(dir, '.lock'), 'utf8'))).toMatchObject({ pid: 1 });
    first.kill();
    await first.exited;
    const restarted = performance.now();
    const second = start(env, asPid1);
    const [, adminUrl] = await second.waitFor(/Admin:\s+(http:\/\/127\.0\.0\.1:\d+)\/admin/, 5_000);
    expect(performance.now() - restarted).toBeLessThan(5_000);
    expect((await fetch(`${adminUrl}/readyz`)).status).toBe(200);
  });

  it('refuses a second process on the same DATA_DIR, naming the lock', async () => {
    const dir = dataDir();
    const first = start({ DATA_DIR: dir, PORT: '0', LOG_LEVEL: 'silent' });
    await first.waitFor(/Access code:/);
    const second = start({ DATA_DIR: dir, PORT: '0', LOG_LEVEL: 'silent' });
    const code = await second.exited;
    expect(code).not.toBe(0);
    expect(second.stderr()).toContain(join(dir, '.lock'));
    expect(second.stdout()).not.toContain('Access code:');
    // The first one is unaffected.
    expect(first.child.exitCode).toBeNull();
  });

  it('fails at boot naming every invalid variable and how to fix it', async () => {
    const server = start({
      DATA_DIR: dataDir(),
      PORT: 'not-a-port',
      RUNNER_TOKEN_SECRET: 'too-short',
      LOG_LEVEL: 'chatty',
      RUNNER_MODE: 'warp',
      GHE_PROTOCOL: 'gopher',
      DEDUP_WINDOW_HOURS: '0',
    });
    expect(await server.exited).toBe(1);
    const err = server.stderr();
    for (const key of ['PORT', 'RUNNER_TOKEN_SECRET', 'LOG_LEVEL', 'RUNNER_MODE', 'GHE_PROTOCOL', 'DEDUP_WINDOW_HOURS']) expect(err, key).toContain(key);
    expect(err).toContain('generate one with: openssl rand -hex 32');
    expect(err).toContain('6 problems');
  });

  it('refuses a GHE_HOST that cannot be right before listening, naming the variable and the fix', async () => {
    const server = start({ DATA_DIR: dataDir(), PORT: '0', GHE_HOST: 'https://octocorp.ghe.com/api/v3' });
    expect(await server.exited).toBe(1);
    expect(server.stderr()).toContain('GHE_HOST must be a host name, not a URL: drop "https://"');
    expect(server.stdout()).not.toContain('orchestrator started');
  });

  it('logs pretty one-line events on a terminal, then the banner; JSON when piped, in production or with LOG_FORMAT=json', async () => {
    const onTerminal = await bootOnTerminal({ DATA_DIR: dataDir(), PORT: '0' });
    const beforeBanner = onTerminal.slice(0, onTerminal.indexOf('Admin:'));
    expect(beforeBanner).toMatch(/^\[\d\d:\d\d:\d\d\] INFO: orchestrator started$/m);
    expect(beforeBanner).not.toContain('{"level"');
    expect(beforeBanner.trimEnd().split('\n').at(-1)).toContain('SANDBOX');

    for (const env of [{ LOG_FORMAT: 'json' }, { NODE_ENV: 'production' }] as Record<string, string>[]) {
      const text = await bootOnTerminal({ DATA_DIR: dataDir(), PORT: '0', ...env });
      expect(text, JSON.stringify(env)).toMatch(/^\{"level":30,.*"msg":"orchestrator started"/m);
    }

    const piped = start({ DATA_DIR: dataDir(), PORT: '0', LOG_LEVEL: 'info' });
    await piped.waitFor(/Access code:/);
    expect(piped.stdout()).toMatch(/^\{"level":30,.*"msg":"orchestrator started"/m);
  }, 60_000);
});

/**
 * Boots the compiled server on a pseudo-terminal (`script` gives it one, as a
 * person's shell would) and resolves with what it wrote up to its banner.
 */
async function bootOnTerminal(env: Record<string, string>): Promise<string> {
  const child = spawn('script', ['-qfec', `${process.execPath} dist/src/main.js`, '/dev/null'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', TERM: 'dumb', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    const end = Date.now() + 15_000;
    while (!/Access code:[^\n]*\n/.test(out)) {
      if (Date.now() > end || child.exitCode !== null) throw new Error(`no banner on the terminal; got:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // Colours are for people; the assertions read the text.
    return out.replace(/\r/g, '').replace(/\u001b\[[0-9;]*m/g, '');
  } finally {
    // Closing the terminal hangs the server up, as closing the window would.
    child.kill('SIGTERM');
    await exited;
  }
}
