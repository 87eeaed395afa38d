import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Preloaded into the server child only: answers an IPC "gc" with the RSS after
 * two full collections, so the figure is the live footprint, not garbage
 * waiting for the next collection. Nothing in the server knows about it.
 */
const PROBE = `data:text/javascript,${encodeURIComponent(
  "process.on('message', (m) => { if (m !== 'gc') return; globalThis.gc(); globalThis.gc(); const u = process.memoryUsage(); process.send({ rss: u.rss, heapUsed: u.heapUsed, external: u.external }); });",
)}`;

export interface ServerStartMeasurement {
  /** From spawn to the first `/readyz` 200. */
  readyMs: number;
  /** From spawn to the end of the first logged-in `/admin/jobs` answer. */
  firstJobsMs: number;
  /** Server time of that first `/admin/jobs` request alone. */
  jobsRequestMs: number;
  /** From spawn to the end of the last of every panel's first answer. */
  allPanelsMs: number;
  /** Each panel's first answer (ms), in the order fetched. */
  panelMs: [string, number][];
  /** Right after `/readyz` first answered 200, as is (Linux only: read from /proc). */
  readyRssBytes: number | undefined;
  /** After ready and the panels, idle, after a full GC. */
  rssBytes: number;
  heapUsedBytes: number;
}

export interface ProbeOptions {
  /** Project root whose `dist/src/main.js` is started (another build compares before/after). */
  root: string;
  dataDir: string;
  accessCode: string;
  /** Panels fetched after `/admin/jobs`, each must answer 200. */
  panels: readonly string[];
  /** Quiet time before the RSS reading. */
  idleMs?: number;
  /** More environment for the server (e.g. DATABASE_URL). */
  env?: Record<string, string>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function askForRss(child: ChildProcess): Promise<{ rss: number; heapUsed: number }> {
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m as { rss: number; heapUsed: number }));
    child.once('exit', (code) => reject(new Error(`server exited ${code} before reporting its RSS`)));
    child.send('gc');
  });
}

/** VmRSS of a process without touching it (no GC, no IPC round trip to delay the next request). */
async function processRss(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kib = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  return kib === undefined ? undefined : Number(kib) * 1024;
}

async function get(url: string, cookie: string): Promise<void> {
  const res = await fetch(url, { headers: { cookie }, redirect: 'manual' });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
}

/** Starts the real server (sandbox mode) on a prepared data dir in a fresh process and times its start. */
export async function measureServerStart(options: ProbeOptions): Promise<ServerStartMeasurement> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    DATA_DIR: options.dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    ADMIN_ACCESS_CODE: options.accessCode,
    LOG_LEVEL: 'warn',
    ...options.env,
  };
  const started = performance.now();
  const child = spawn(process.execPath, ['--expose-gc', '--import', PROBE, path.join(options.root, 'dist/src/main.js')], {
    cwd: options.root,
    env,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`server exited ${code}: ${stderr}`))));
  exited.catch(() => undefined);
  try {
    const ready = (async () => {
      for (;;) {
        const status = await fetch(`${base}/readyz`).then(
          (r) => r.arrayBuffer().then(() => r.status),
          () => 0,
        );
        if (status === 200) return performance.now() - started;
        await sleep(10);
      }
    })();
    const readyMs = await Promise.race([ready, exited]);
    const readyRssBytes = await processRss(child.pid);
    const login = await fetch(`${base}/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base },
      body: new URLSearchParams({ code: options.accessCode, next: '/admin/jobs' }),
      redirect: 'manual',
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    if (login.status !== 303 || !cookie) throw new Error(`login answered ${login.status}`);
    const jobsStarted = performance.now();
    await get(`${base}/admin/jobs`, cookie);
    const firstJobsMs = performance.now() - started;
    const jobsRequestMs = performance.now() - jobsStarted;
    const panelMs: [string, number][] = [];
    for (const panel of options.panels) {
      const t = performance.now();
      await get(`${base}${panel}`, cookie);
      panelMs.push([panel, performance.now() - t]);
    }
    const allPanelsMs = performance.now() - started;
    await sleep(options.idleMs ?? 2_000);
    const { rss, heapUsed } = await askForRss(child);
    return { readyMs, firstJobsMs, jobsRequestMs, allPanelsMs, panelMs, readyRssBytes, rssBytes: rss, heapUsedBytes: heapUsed };
  } finally {
    const gone = new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(timer);
  }
}
