import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { AdminAuth } from '../src/admin/auth/admin-auth.js';
import { SecretRegistry } from '../src/config/index.js';
import type { Run } from '../src/domain/run.js';
import { createAdminApi } from '../src/http/api/create-admin-api.js';
import { createHttpApp } from '../src/http/create-http-app.js';
import { HttpMetrics } from '../src/http/http-metrics.js';
import { startHttpServer } from '../src/http/start-http-server.js';
import { createLogger } from '../src/logging/create-logger.js';
import type { RunHistoryRecord } from '../src/store/core/hot-doc.js';
import { createLowdbStore } from '../src/store/lowdb/create-lowdb-store.js';
import { seedRunHistory } from '../src/store/lowdb/seed-run-history.js';
import type { Store } from '../src/store/store.js';
import { formatTable, percentile, type BenchTable } from './bench-table.js';

const HISTORY_RUNS = 100_000;
const REQUESTS = 300;
const WARMUP = 20;
const TARGET_P95_MS = 50;
const ACCESS_CODE = 'bench-access-code-0123456789';

/** Finished runs spread over ~70 days, three mappings, one in seven failed. */
function historicRun(i: number): RunHistoryRecord {
  const at = new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString();
  const mappingKey = ['ENG', 'OPS', 'WEB'][i % 3]!;
  const run: Run = {
    id: `hist-${i.toString().padStart(6, '0')}`,
    issueId: `issue-${i}`,
    identifier: `${mappingKey}-${i}`,
    title: `Ticket number ${i}: tidy up the widget configuration`,
    tracker: 'linear',
    mappingKey,
    phase: i % 5 === 0 ? 'plan' : 'implement',
    status: i % 7 === 0 ? 'failed' : 'succeeded',
    attempt: 1,
    dispatchNumber: 1 + (i % 3),
    backend: i % 2 ? 'github-actions' : 'fly-machines',
    runnerMode: 'default',
    triggerSource: 'poll',
    upstreamId: String(5_000_000 + i),
    prUrl: `https://github.com/acme/${mappingKey.toLowerCase()}/pull/${i}`,
    summary: 'Changed the configuration loader and added tests.',
    costUsd: 0.37,
    tokens: { input: 11_000, output: 2_900 },
    createdAt: at,
    updatedAt: at,
    finishedAt: at,
  };
  return { run, steps: [{ runId: run.id, id: 'agent', type: 'agent', status: 'passed', updatedAt: at }] };
}

interface Scenario {
  name: string;
  path: (firstPageCursor: string | undefined) => string;
}

const SCENARIOS: Scenario[] = [
  { name: 'GET /api/log (latest 500)', path: () => '/api/log' },
  { name: 'GET /api/log?limit=1000', path: () => '/api/log?limit=1000' },
  { name: 'GET /api/log?cursor=<page 2>', path: (cursor) => `/api/log?cursor=${encodeURIComponent(cursor ?? '')}` },
  { name: 'GET /api/log?mapping=OPS&status=failed', path: () => '/api/log?mapping=OPS&status=failed' },
];

/**
 * Time to the last byte of the answer. The client shares this process, so the
 * body is parsed only once, after the clock stops: parsing it is the caller's
 * cost, not the server's latency.
 */
async function timeRequests(url: string, token: string, count: number): Promise<{ ms: number[]; entries: number }> {
  const ms: number[] = [];
  let last = '';
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    last = await res.text();
    ms.push(performance.now() - started);
    if (res.status !== 200) throw new Error(`${url} answered ${res.status}: ${last.slice(0, 200)}`);
  }
  const entries = (JSON.parse(last) as { entries?: unknown[] }).entries?.length ?? 0;
  return { ms, entries };
}

const round = (n: number) => Math.round(n * 100) / 100;

/** The scenarios' latencies against an open store holding the history, through the real API over HTTP. */
export async function measureApiLog(store: Store, requests = REQUESTS): Promise<{ rows: (string | number)[][]; defaultP95: number }> {
  await store.mappings.upsert({
    teamKey: 'ENG', trackerKind: 'linear', owner: 'acme', repo: 'eng', defaultBranch: 'main', executionMode: 'github-actions', agentRuntime: 'claude-code',
    provider: 'anthropic', maxInProgressAiIssues: 3, maxTurns: 50, maxIterations: 3, maxJobMinutes: 90, planningEnabled: false, autoApprovePlans: false,
    paused: false, extraEnv: {}, createdAt: new Date().toISOString(), updatedAt: new Date().toISOString(),
  });
  // As in production: the registry scrubs every answer, holding the configured secrets and a day's minted tokens.
  const secrets = new SecretRegistry();
  for (let i = 0; i < 10; i++) secrets.register(`configured-secret-${i}-${'x'.repeat(24)}`);
  for (let i = 0; i < 3_000; i++) secrets.register(`ghs_${i.toString(36).padStart(36, 'k')}`, { expiresAt: Date.now() + 3_600_000 });
  const log = createLogger({ level: 'warn', format: 'json', secrets, destination: new Writable({ write: (_c, _e, done) => done() }) });
  const auth = new AdminAuth({ accessCode: ACCESS_CODE, sessions: store.adminSessions, clock: Date.now, log });
  const api = createAdminApi({
    auth, store, clock: Date.now, version: 'bench', trustedProxyHeader: undefined, runnerModeOverride: undefined,
    fly: { sessionsApp: undefined, sessionsRegion: undefined }, jira: undefined, latestCycle: () => undefined, redaction: secrets,
  });
  const app = createHttpApp({ log, metrics: new HttpMetrics({ defaultMetrics: false }), production: true, version: 'bench', isReady: () => true, routers: [api.router] });
  const server = await startHttpServer(app, { port: 0, host: '127.0.0.1' });
  try {
    const login = await fetch(`${server.url}/api/auth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: ACCESS_CODE }) });
    const { token } = (await login.json()) as { token: string };
    const first = (await (await fetch(`${server.url}/api/log`, { headers: { authorization: `Bearer ${token}` } })).json()) as { nextCursor?: string };
    const rows: (string | number)[][] = [];
    let defaultP95 = Number.NaN;
    for (const scenario of SCENARIOS) {
      const url = `${server.url}${scenario.path(first.nextCursor)}`;
      await timeRequests(url, token, WARMUP);
      const { ms, entries } = await timeRequests(url, token, requests);
      const sorted = [...ms].sort((a, b) => a - b);
      const p95 = percentile(sorted, 95);
      if (rows.length === 0) defaultP95 = p95;
      rows.push([scenario.name, entries, requests, round(percentile(sorted, 50)), round(p95), round(percentile(sorted, 99))]);
    }
    return { rows, defaultP95 };
  } finally {
    await server.close();
  }
}

/** `GET /api/log` over real HTTP (auth guard, store, JSON) with 100k finished runs in the history. */
export async function runApiLogBench(): Promise<BenchTable> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ai-implement-api-log-bench-'));
  const store = createLowdbStore({ dataDir: dir });
  try {
    await seedRunHistory(
      dir,
      (function* () {
        for (let i = 0; i < HISTORY_RUNS; i++) yield historicRun(i);
      })(),
      { chunk: 5_000 },
    );
    await store.open();
    const { rows, defaultP95 } = await measureApiLog(store);
    const met = defaultP95 <= TARGET_P95_MS;
    return {
      title: `Dispatch log API over HTTP (${HISTORY_RUNS.toLocaleString('en')} runs in history)`,
      columns: ['request', 'entries', 'requests', 'p50 ms', 'p95 ms', 'p99 ms'],
      rows,
      notes: [`Target: p95 ≤ ${TARGET_P95_MS} ms for the default page → ${met ? 'MET' : 'MISSED'} (${round(defaultP95)} ms).`, 'Sequential requests on one loopback connection pool, after a warm-up of ' + WARMUP + ' requests per row.'],
    };
  } finally {
    if (store.isOpen) await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

// Run directly: `npx tsx bench/api-log-bench.ts`.
if (import.meta.url === `file://${process.argv[1]}`) console.log(formatTable(await runApiLogBench()));
