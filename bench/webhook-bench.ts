import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { BenchTable } from './bench-table.js';
import { examplePayload } from './webhook-example.js';
import type { ServerCheck } from './webhook-server.js';

const CONNECTIONS = 32;
const WARMUP = 2_000;
const DELIVERIES = Number(process.env.WEBHOOK_BENCH_DELIVERIES ?? 8_000);
const ROUNDS = Number(process.env.WEBHOOK_BENCH_ROUNDS ?? 5);
const TARGET_RATIO = 1.0;
const TARGET_P99_MS = 25;
const CLIENT = fileURLToPath(new URL('./webhook-load-client.ts', import.meta.url));
const SERVER = fileURLToPath(new URL('./webhook-server.ts', import.meta.url));

type Mode = 'probot' | 'ours-worker' | 'ours-stopped';

interface Measured {
  perSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
}

interface Round extends Measured {
  /** What our server held afterwards; Probot's stores nothing. */
  check?: ServerCheck;
}

/** `count` signed POSTs over `CONNECTIONS` keep-alive connections, sent by a client in its own process. */
function drive(url: string, prefix: string, count: number): Promise<Measured> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', CLIENT, url, prefix, String(count), String(CONNECTIONS)], { maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`load client failed: ${stderr || error.message}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop()!) as Measured);
    });
  });
}

/** A server in a fresh process: its URL, and a way to ask it what it holds. */
async function startServer(mode: Mode): Promise<{ url: string; ask: (line: string) => Promise<unknown>; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER, mode], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: Interface = createInterface({ input: child.stdout! });
  const iterator = lines[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await iterator.next();
    if (done) throw new Error(`bench server ${mode} exited early`);
    return JSON.parse(value as string) as unknown;
  };
  const { url } = (await next()) as { url: string };
  return {
    url,
    child,
    ask: (line) => {
      child.stdin!.write(`${line}\n`);
      return next();
    },
  };
}

async function measure(mode: Mode, round: number): Promise<Round> {
  const server = await startServer(mode);
  try {
    const ours = mode !== 'probot';
    await drive(server.url, `warm-${round}`, WARMUP);
    if (ours) await server.ask(`check warm-${round} ${WARMUP}`);
    const prefix = `load-${round}`;
    const result = await drive(server.url, prefix, DELIVERIES);
    if (!ours) return result;
    const check = (await server.ask(`check ${prefix} ${DELIVERIES}`)) as ServerCheck;
    if (check.missing > 0) throw new Error(`${mode}: ${check.missing} acknowledged deliveries are not in the inbox`);
    if (mode === 'ours-worker' && check.unhandled > 0) throw new Error(`${mode}: ${check.unhandled} deliveries were not handled after the drain`);
    return { ...result, check };
  } finally {
    server.child.stdin!.end('exit\n');
    await new Promise((resolve) => server.child.once('exit', resolve));
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const spread = (values: number[], digits = 0) => `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`;

/**
 * Each round measures the three servers (Probot, ours with the worker, ours without) one after
 * another, each in a fresh process warmed with ${WARMUP} deliveries, so that drift of the machine
 * touches all of them alike; the table shows medians over the rounds.
 */
export async function runWebhookBench(): Promise<BenchTable> {
  const body = examplePayload();
  const probot: Round[] = [];
  const withWorker: Round[] = [];
  const ackOnly: Round[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    probot.push(await measure('probot', round));
    withWorker.push(await measure('ours-worker', round));
    ackOnly.push(await measure('ours-stopped', round));
  }
  const summary = (runs: Measured[]): Measured => ({
    perSecond: median(runs.map((r) => r.perSecond)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
  });
  const [p, w, a] = [summary(probot), summary(withWorker), summary(ackOnly)];
  const ratios = withWorker.map((r, i) => r.perSecond / probot[i]!.perSecond);
  const ratio = median(ratios);
  const met = ratio >= TARGET_RATIO && w.p99 <= TARGET_P99_MS && w.non2xx === 0;
  const row = (name: string, m: Measured) => [name, Math.round(m.perSecond), m.p50, m.p99, m.non2xx];
  const last = withWorker[withWorker.length - 1]!.check!;
  return {
    title: `GitHub webhook acknowledgements: ${DELIVERIES} signed issue_comment deliveries (${(body.length / 1024).toFixed(1)} KiB) per round, ${CONNECTIONS} connections, median of ${ROUNDS} rounds`,
    columns: ['server', 'acked/s', 'p50 ms', 'p99 ms', 'non-2xx'],
    rows: [
      row('ours: route → inbox journal (durable before 2xx), worker running', w),
      row('ours: same, inbox worker stopped', a),
      row('Probot createNodeMiddleware, no-op, stores nothing', p),
    ],
    notes: [
      `ratio ours/Probot ${ratio.toFixed(2)} (per round ${ratios.map((r) => r.toFixed(2)).join(', ')}; target ≥ ${TARGET_RATIO}), our p99 ${w.p99.toFixed(1)} ms (target ≤ ${TARGET_P99_MS} ms), production setup (worker running): ${met ? 'MET' : 'NOT MET'}`,
      `spread over rounds, acked/s: ours ${spread(withWorker.map((r) => r.perSecond))}, worker stopped ${spread(ackOnly.map((r) => r.perSecond))}, Probot ${spread(probot.map((r) => r.perSecond))}; p99 ms: ours ${spread(withWorker.map((r) => r.p99), 1)}, Probot ${spread(probot.map((r) => r.p99), 1)}`,
      `each server runs in a fresh process, warmed with ${WARMUP} deliveries; the load comes from a client in another process (raw keep-alive sockets, one request in flight per connection); 2 cores are shared by all of them`,
      `worker running: the orchestrator's inbox worker leases and handles deliveries (the real Probot app against the GitHub emulator) in the same process; when the load stopped ${spread(withWorker.map((r) => r.check!.waitingAtEnd))} were still waiting, and all were handled ${spread(withWorker.map((r) => r.check!.drainMs ?? 0))} ms later`,
      `worker stopped: ratio ${median(ackOnly.map((r, i) => r.perSecond / probot[i]!.perSecond)).toFixed(2)}; every delivery stays pending`,
      `every acknowledged delivery was found in the inbox afterwards, in every round`,
      `inbox changes are appended to the inbox journal with one O_DSYNC writev per group commit (payload bytes inline); last worker round: ${last.commits}; store.json ${(last.hotDocBytes / 1e3).toFixed(1)} kB`,
    ],
  };
}
