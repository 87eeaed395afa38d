// One server of the webhook bench, in a process of its own so that every
// round starts from a fresh heap and no server inherits another's leftovers.
// Usage: webhook-server.ts probot|ours-worker|ours-stopped
// Prints {"url"} once listening; then (ours only), for each line
// `check <prefix> <count>` on stdin, waits for the inbox worker to handle every
// delivery (ours-worker) and prints what it found; `exit` stops it.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import pino from 'pino';
import { Probot, createNodeMiddleware } from 'probot';
import { startOrchestrator } from '../src/app.js';
import { GitHubEmulator } from '../src/sandbox/github/index.js';
import { WEBHOOK_BENCH_SECRET } from './webhook-example.js';

export interface ServerCheck {
  /** Deliveries not yet handled when the check began (the load had just stopped). */
  waitingAtEnd: number;
  /** Milliseconds until the worker had handled them all. */
  drainMs: number | null;
  missing: number;
  unhandled: number;
  commits: string;
  hotDocBytes: number;
}

const mode = process.argv[2];
const say = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);

async function probot(): Promise<{ url: string; check?: undefined; stop: () => Promise<void> }> {
  const github = new GitHubEmulator();
  const app = new Probot({ appId: 1, privateKey: github.privateKeyPem, secret: WEBHOOK_BENCH_SECRET, log: pino({ level: 'silent' }) });
  // Probot's default middleware with a no-op handler that stores nothing.
  const middleware = await createNodeMiddleware(
    (a) => {
      a.on('issue_comment', async () => undefined);
    },
    { probot: app, webhooksPath: '/api/github/webhook' },
  );
  const server = createServer((req, res) => {
    void middleware(req, res, () => {
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The real orchestrator: route → inbox journal, durable before the 2xx; with its worker running the Probot app, or stopped. */
async function ours(worker: boolean) {
  const github = new GitHubEmulator();
  await github.start();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'webhook-bench-'));
  const orchestrator = await startOrchestrator({
    env: {
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      ...github.probotEnv,
      GITHUB_WEBHOOK_SECRET: WEBHOOK_BENCH_SECRET,
      RUNNER_TOKEN_SECRET: 'b'.repeat(48),
      POLL_INTERVAL_MS: '86400000',
    },
    logDestination: new Writable({ write: (_c, _e, done) => done() }),
    print: () => undefined,
  });
  if (!worker) await orchestrator.services.inbox.stop();
  const { inbox } = orchestrator.store;
  const waiting = async () => {
    const { pending, leased } = await inbox.backlog();
    return pending + leased;
  };
  const check = async (prefix: string, count: number): Promise<ServerCheck> => {
    const started = performance.now();
    const waitingAtEnd = await waiting();
    if (worker) while ((await waiting()) > 0) await new Promise((r) => setTimeout(r, 10));
    const drainMs = worker ? performance.now() - started : null;
    let missing = 0;
    let unhandled = 0;
    for (let i = 0; i < count; i++) {
      const d = await inbox.getDelivery(`${prefix}-${i}`);
      if (!d) missing += 1;
      else if (d.status !== 'completed') unhandled += 1;
    }
    const stats = (orchestrator.store as { commitStats?: { commits: number; mutations: number; hotWrites: number; checkpoints: number } }).commitStats;
    const commits = stats
      ? `${stats.commits} commits, ${(stats.mutations / stats.commits).toFixed(1)} mutations each, ${stats.hotWrites} rewrote store.json, ${stats.checkpoints} inbox checkpoints`
      : 'n/a';
    // Only commits that change more than the inbox rewrite this file.
    const hotDocBytes = (await stat(path.join(dataDir, 'store.json')).catch(() => ({ size: 0 }))).size;
    return { waitingAtEnd, drainMs, missing, unhandled, commits, hotDocBytes };
  };
  return {
    url: orchestrator.url,
    check,
    stop: async () => {
      await orchestrator.stop();
      await github.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

if (mode !== 'probot' && mode !== 'ours-worker' && mode !== 'ours-stopped') {
  console.error('usage: webhook-server.ts probot|ours-worker|ours-stopped');
  process.exit(2);
}
const server = mode === 'probot' ? await probot() : await ours(mode === 'ours-worker');
say({ url: server.url });
for await (const line of createInterface({ input: process.stdin })) {
  const [command, prefix, count] = line.trim().split(/\s+/);
  // Probot's server stores nothing, so there is nothing to check: it only serves the load.
  if (command === 'check' && prefix && server.check) say(await server.check(prefix, Number(count)));
  else break;
}
await server.stop();
process.exit(0);
