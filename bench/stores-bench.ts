import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { findProjectRoot } from '../src/package-info.js';
import { copyStore } from '../src/store/copy-store.js';
import { createLowdbStore } from '../src/store/lowdb/create-lowdb-store.js';
import { createPostgresStore } from '../src/store/postgres/create-postgres-store.js';
import type { Store } from '../src/store/store.js';
import { measureApiLog } from './api-log-bench.js';
import { formatTable, percentile, type BenchTable } from './bench-table.js';
import { prepareHistoryDataDir } from './history-fixture.js';
import { measureServerStart } from './history-server-probe.js';

const UPDATE_SAMPLES = 300;
const LIVE_RUNS = 20;
const API_REQUESTS = 200;
const ACCESS_CODE = 'stores-bench-access-code-0123';
const MiB = 1024 * 1024;
const round = (n: number) => Math.round(n * 100) / 100;

/**
 * `STORES_BENCH_RUNS` (default 100000) finished runs; `STORES_BENCH_POSTGRES`
 * (default the loopback server, `postgres://postgres@127.0.0.1:5432`) is where
 * a fresh database is made and dropped.
 */
function settings(env: NodeJS.ProcessEnv): { runs: number; server: string } {
  const runs = Number.parseInt((env['STORES_BENCH_RUNS'] ?? '100000').replace(/_/g, ''), 10);
  if (!Number.isInteger(runs) || runs < 0) throw new Error('STORES_BENCH_RUNS must be a run count, e.g. 100000');
  return { runs, server: (env['STORES_BENCH_POSTGRES'] ?? 'postgres://postgres@127.0.0.1:5432').replace(/\/$/, '') };
}

async function admin(server: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: `${server}/postgres` });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** One live run's status flipped `UPDATE_SAMPLES` times beside the history, as heartbeats and re-dispatches write it. */
async function updateLatencies(store: Store): Promise<number[]> {
  const ids: string[] = [];
  for (let i = 0; i < LIVE_RUNS; i++) {
    const claim = await store.runs.claimTicket({ issueId: `bench-live-${i}`, identifier: `ENG-L${i}`, tracker: 'linear', mappingKey: 'ENG', phase: 'implement', backend: 'github-actions', runnerMode: 'default', triggerSource: 'poll' });
    if (claim.claimed) ids.push(claim.run.id);
  }
  const target = ids[0]!;
  await store.runs.updateRun(target, { status: 'running' });
  for (let i = 0; i < 30; i++) await store.runs.updateRun(target, { status: i % 2 ? 'running' : 'claimed' });
  const samples: number[] = [];
  for (let i = 0; i < UPDATE_SAMPLES; i++) {
    const t = performance.now();
    await store.runs.updateRun(target, { status: i % 2 ? 'running' : 'claimed', heartbeatAt: new Date().toISOString() });
    samples.push(performance.now() - t);
  }
  // Finished again, so the next measurement sees only history.
  for (const id of ids) await store.runs.updateRun(id, { status: 'failed', failureReason: 'bench' });
  return samples.sort((a, b) => a - b);
}

/**
 * The same 100,000 finished runs in the embedded store and in PostgreSQL
 * (copied there by `copyStore`, the code of `npm run migrate-store`): a run
 * update's latency, `GET /api/log` over HTTP, and the server's RSS after start
 * and a first page, each measured on both in one run.
 */
export async function runStoresBench(env: NodeJS.ProcessEnv = process.env): Promise<BenchTable> {
  const { runs, server } = settings(env);
  const dataDir = await mkdtemp(path.join(tmpdir(), 'ai-implement-stores-bench-'));
  const sandboxDir = await mkdtemp(path.join(tmpdir(), 'ai-implement-stores-bench-pg-'));
  const database = `ai_implement_bench_${process.pid}_${Date.now()}`;
  const url = `${server}/${database}`;
  await admin(server, `CREATE DATABASE ${database}`);
  try {
    await prepareHistoryDataDir(dataDir, runs, Date.now());
    const source = createLowdbStore({ dataDir });
    const target = createPostgresStore({ connectionString: url });
    await source.open();
    await target.open();
    const copyStarted = performance.now();
    const report = await copyStore(source, target);
    const copyMs = performance.now() - copyStarted;
    await source.close();
    await target.close();
    if (report.mismatches.length > 0) throw new Error(`the copy is not whole: ${report.mismatches.join('; ')}`);

    // Server RSS first, on the untouched history (the server starts in sandbox mode, like the history bench).
    const root = findProjectRoot();
    const lowdbServer = await measureServerStart({ root, dataDir, accessCode: ACCESS_CODE, panels: ['/admin/jobs'] });
    const pgServer = await measureServerStart({ root, dataDir: sandboxDir, accessCode: ACCESS_CODE, panels: ['/admin/jobs'], env: { DATABASE_URL: url } });

    const measure = async (store: Store) => {
      await store.open();
      try {
        const updates = await updateLatencies(store);
        const api = await measureApiLog(store, API_REQUESTS);
        return { updateP50: percentile(updates, 50), updateP99: percentile(updates, 99), apiP95: api.defaultP95 };
      } finally {
        await store.close();
      }
    };
    const lowdb = await measure(createLowdbStore({ dataDir }));
    const postgres = await measure(createPostgresStore({ connectionString: url }));
    const ratio = (a: number, b: number) => `${round(b / a)}×`;
    return {
      title: `lowdb and PostgreSQL side by side (${runs.toLocaleString('en')} finished runs)`,
      columns: ['measure', 'lowdb', 'PostgreSQL', 'PostgreSQL / lowdb'],
      rows: [
        ['run update p50 (ms)', round(lowdb.updateP50), round(postgres.updateP50), ratio(lowdb.updateP50, postgres.updateP50)],
        ['run update p99 (ms)', round(lowdb.updateP99), round(postgres.updateP99), ratio(lowdb.updateP99, postgres.updateP99)],
        ['GET /api/log p95 (ms)', round(lowdb.apiP95), round(postgres.apiP95), ratio(lowdb.apiP95, postgres.apiP95)],
        ['server ready (ms)', Math.round(lowdbServer.readyMs), Math.round(pgServer.readyMs), ratio(lowdbServer.readyMs, pgServer.readyMs)],
        ['server RSS after a page, GC (MiB)', round(lowdbServer.rssBytes / MiB), round(pgServer.rssBytes / MiB), ratio(lowdbServer.rssBytes, pgServer.rssBytes)],
      ],
      notes: [
        `Copied lowdb → PostgreSQL with copyStore (npm run migrate-store) in ${Math.round(copyMs)} ms, every count matching.`,
        `Updates: one live run's status flipped ${UPDATE_SAMPLES} times beside ${LIVE_RUNS} live runs; /api/log: ${API_REQUESTS} sequential requests for the default page over loopback HTTP.`,
        'RSS: the server process (sandbox mode) after /readyz and one /admin/jobs page, after two full GCs; PostgreSQL itself is not counted.',
      ],
    };
  } finally {
    await admin(server, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
    await rm(sandboxDir, { recursive: true, force: true });
  }
}

// Run directly: `npx tsx bench/stores-bench.ts`.
if (import.meta.url === `file://${process.argv[1]}`) console.log(formatTable(await runStoresBench()));
