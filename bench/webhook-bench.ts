import { createHmac } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, request as httpRequest, Agent, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createRequire } from 'node:module';
import pino from 'pino';
import { Probot, createNodeMiddleware } from 'probot';
import { startOrchestrator } from '../src/app.js';
import { GitHubEmulator } from '../src/sandbox/github/index.js';
import { percentile, type BenchTable } from './bench-table.js';

const CONNECTIONS = 32;
const WARMUP = 300;
const DELIVERIES = Number(process.env.WEBHOOK_BENCH_DELIVERIES ?? 3_000);
const SECRET = 'bench-webhook-secret';
const TARGET_RATIO = 1.0;
const TARGET_P99_MS = 25;

interface Measured {
  perSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
}

/** The 12.7 KB `issue_comment.created` example GitHub recorded, with the installation a real delivery has. */
function examplePayload(): Buffer {
  const require = createRequire(import.meta.url);
  const groups = require('@octokit/webhooks-examples/api.github.com/index.json') as { name: string; examples: { action?: string }[] }[];
  const payload = structuredClone(groups.find((g) => g.name === 'issue_comment')?.examples.find((e) => e.action === 'created'));
  if (!payload) throw new Error('no issue_comment example');
  return Buffer.from(JSON.stringify({ ...payload, installation: { id: 1, node_id: 'I_1' } }));
}

/** `count` signed POSTs over `CONNECTIONS` keep-alive connections, each with a fresh delivery id. */
async function drive(url: string, body: Buffer, prefix: string, count: number): Promise<Measured> {
  const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const target = new URL(url);
  const times: number[] = [];
  let non2xx = 0;
  let next = 0;
  const one = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const started = performance.now();
      const req = httpRequest(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: '/api/github/webhook',
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-length': body.length,
            'x-github-event': 'issue_comment',
            'x-github-delivery': `${prefix}-${i}`,
            'x-hub-signature-256': signature,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            times.push(performance.now() - started);
            if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) non2xx += 1;
            resolve();
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (next < count) await one(next++);
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  const sorted = times.sort((a, b) => a - b);
  return { perSecond: count / elapsed, p50: percentile(sorted, 50), p99: percentile(sorted, 99), non2xx };
}

interface OursMeasured {
  result: Measured;
  pendingAtEnd: number;
  hotDocBytes: number;
  commits: string;
}

/**
 * Ours: the real orchestrator (route → lowdb inbox journal, durable before the 2xx). With
 * `worker`, its inbox worker runs the Probot app on the deliveries in the same process, as in
 * production; without, the worker is stopped so only the acknowledgement path runs.
 */
async function measureOurs(body: Buffer, worker: boolean): Promise<OursMeasured> {
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
      GITHUB_WEBHOOK_SECRET: SECRET,
      RUNNER_TOKEN_SECRET: 'b'.repeat(48),
      POLL_INTERVAL_MS: '86400000',
    },
    logDestination: new Writable({ write: (_c, _e, done) => done() }),
    print: () => undefined,
  });
  if (!worker) await orchestrator.services.inbox.stop();
  try {
    await drive(orchestrator.url, body, 'warm', WARMUP);
    const result = await drive(orchestrator.url, body, 'ours', DELIVERIES);
    let pendingAtEnd = 0;
    for (let i = 0; i < DELIVERIES; i++) {
      const d = await orchestrator.store.inbox.getDelivery(`ours-${i}`);
      if (!d) throw new Error(`delivery ours-${i} was acknowledged but is not in the inbox`);
      if (d.status !== 'completed') pendingAtEnd += 1;
    }
    // Only commits that change more than the inbox rewrite this file.
    const hotDocBytes = (await stat(path.join(dataDir, 'store.json')).catch(() => ({ size: 0 }))).size;
    const stats = (orchestrator.store as { commitStats?: { commits: number; mutations: number; hotWrites: number; checkpoints: number } }).commitStats;
    const commits = stats
      ? `${stats.commits} commits, ${(stats.mutations / stats.commits).toFixed(1)} mutations each, ${stats.hotWrites} rewrote store.json, ${stats.checkpoints} inbox checkpoints`
      : 'n/a';
    return { result, pendingAtEnd, hotDocBytes, commits };
  } finally {
    await orchestrator.stop();
    await github.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Probot's default: `createNodeMiddleware` on a plain node:http server, a no-op handler, nothing stored. */
async function measureProbot(body: Buffer): Promise<Measured> {
  const github = new GitHubEmulator();
  const probot = new Probot({ appId: 1, privateKey: github.privateKeyPem, secret: SECRET, log: pino({ level: 'silent' }) });
  const middleware = await createNodeMiddleware(
    (app) => {
      app.on('issue_comment', async () => undefined);
    },
    { probot, webhooksPath: '/api/github/webhook' },
  );
  const server: Server = createServer((req, res) => {
    void middleware(req, res, () => {
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    await drive(url, body, 'warm', WARMUP);
    return await drive(url, body, 'probot', DELIVERIES);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export async function runWebhookBench(): Promise<BenchTable> {
  const body = examplePayload();
  const probot = await measureProbot(body);
  const withWorker = await measureOurs(body, true);
  const ackOnly = await measureOurs(body, false);
  const ours = withWorker.result;
  const ratio = ours.perSecond / probot.perSecond;
  const met = ratio >= TARGET_RATIO && ours.p99 <= TARGET_P99_MS;
  const row = (name: string, m: Measured) => [name, Math.round(m.perSecond), m.p50, m.p99, m.non2xx];
  return {
    title: `GitHub webhook acknowledgements: ${DELIVERIES} signed issue_comment deliveries (${(body.length / 1024).toFixed(1)} KiB), ${CONNECTIONS} connections`,
    columns: ['server', 'acked/s', 'p50 ms', 'p99 ms', 'non-2xx'],
    rows: [
      row('ours: route → inbox journal (durable before 2xx), worker running', ours),
      row('ours: same, inbox worker stopped', ackOnly.result),
      row('Probot createNodeMiddleware, no-op, stores nothing', probot),
    ],
    notes: [
      `ratio ours/Probot ${ratio.toFixed(2)} (target ≥ ${TARGET_RATIO}), our p99 ${ours.p99.toFixed(1)} ms (target ≤ ${TARGET_P99_MS} ms), production setup (worker running): ${met ? 'MET' : 'NOT MET'}`,
      `worker running: the orchestrator's inbox worker leases and handles deliveries (the real Probot app against the GitHub emulator) in the same process, woken by each new delivery; ${withWorker.pendingAtEnd} still waiting for it when the load stopped`,
      `worker stopped: ratio ${(ackOnly.result.perSecond / probot.perSecond).toFixed(2)}; ${ackOnly.pendingAtEnd} deliveries pending at the end (the whole run)`,
      `every acknowledged delivery was found in the inbox afterwards, in both runs`,
      `inbox changes are appended to the inbox journal with one fdatasync per group commit (payload bytes inline); worker run: ${withWorker.commits}; store.json ${(withWorker.hotDocBytes / 1e3).toFixed(1)} kB`,
    ],
  };
}
