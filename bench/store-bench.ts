import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import type { Run } from '../src/domain/run.js';
import type { RunStep } from '../src/domain/step.js';
import type { RunHistoryRecord } from '../src/store/core/hot-doc.js';
import { createLowdbStore } from '../src/store/lowdb/create-lowdb-store.js';
import { seedRunHistory } from '../src/store/lowdb/seed-run-history.js';
import { formatTable, percentile, type BenchTable } from './bench-table.js';


const SIZES = [1_000, 10_000, 100_000];
const OURS_SAMPLES = 300;
/** The naive store rewrites everything per update, so fewer samples keep the run short. */
const naiveSamples = (size: number) => (size >= 100_000 ? 12 : size >= 10_000 ? 40 : 100);
const ACTIVE_RUNS = 20;

function historicRecord(i: number): RunHistoryRecord {
  const at = new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString();
  const run: Run = {
    id: `run-${i}`,
    issueId: `issue-${i}`,
    identifier: `ENG-${i}`,
    title: `Make the widget frobnicate properly (${i})`,
    tracker: 'linear',
    mappingKey: i % 3 ? 'ENG' : 'OPS',
    phase: 'implement',
    status: i % 7 ? 'succeeded' : 'failed',
    attempt: 1,
    dispatchNumber: 1,
    backend: 'github-actions',
    runnerMode: 'default',
    triggerSource: 'poll',
    upstreamId: `${1_000_000 + i}`,
    prUrl: `https://github.com/acme/web/pull/${i}`,
    summary: 'Implemented the change and added tests.',
    costUsd: 0.42,
    tokens: { input: 12_000, output: 3_400 },
    createdAt: at,
    updatedAt: at,
    finishedAt: at,
  };
  const steps: RunStep[] = [{ runId: run.id, id: 'agent', type: 'agent', status: 'passed', updatedAt: at }];
  return { run, steps };
}

const round = (n: number) => Math.round(n * 100) / 100;

async function measureOurs(dir: string, size: number): Promise<number[]> {
  await seedRunHistory(
    dir,
    (function* () {
      for (let i = 0; i < size; i++) yield historicRecord(i);
    })(),
    { chunk: 5000 },
  );
  const store = createLowdbStore({ dataDir: dir });
  await store.open();
  const ids: string[] = [];
  for (let i = 0; i < ACTIVE_RUNS; i++) {
    const c = await store.runs.claimTicket({
      issueId: `live-${i}`,
      identifier: `ENG-L${i}`,
      tracker: 'linear',
      mappingKey: 'ENG',
      phase: 'implement',
      backend: 'github-actions',
      runnerMode: 'default',
      triggerSource: 'poll',
    });
    if (c.claimed) ids.push(c.run.id);
  }
  const target = ids[0]!;
  await store.runs.updateRun(target, { status: 'running' });
  // Warm-up: the open() scan of history leaves garbage behind, and JIT warm-up
  // is not what this measures.
  for (let i = 0; i < 30; i++) await store.runs.updateRun(target, { status: i % 2 ? 'running' : 'claimed' });
  const samples: number[] = [];
  for (let i = 0; i < OURS_SAMPLES; i++) {
    const status = i % 2 ? 'running' : 'claimed';
    const t = performance.now();
    await store.runs.updateRun(target, { status, heartbeatAt: new Date().toISOString() });
    samples.push(performance.now() - t);
  }
  await store.close();
  return samples;
}

interface NaiveDoc {
  runs: Run[];
  steps: RunStep[];
}

async function measureNaive(dir: string, size: number): Promise<number[]> {
  const db = new Low<NaiveDoc>(new JSONFile<NaiveDoc>(path.join(dir, 'db.json')), { runs: [], steps: [] });
  for (let i = 0; i < size; i++) {
    const r = historicRecord(i);
    db.data.runs.push(r.run);
    db.data.steps.push(...r.steps);
  }
  for (let i = 0; i < ACTIVE_RUNS; i++) db.data.runs.push({ ...historicRecord(size + i).run, id: `live-${i}`, status: 'running' });
  await db.write();
  const target = db.data.runs[db.data.runs.length - ACTIVE_RUNS]!;
  const samples: number[] = [];
  for (let i = 0; i < naiveSamples(size); i++) {
    const t = performance.now();
    target.status = i % 2 ? 'running' : 'claimed';
    target.heartbeatAt = new Date().toISOString();
    await db.write();
    samples.push(performance.now() - t);
  }
  return samples;
}

/**
 * Updating one active run's status with N finished runs in history: the
 * hot/history store against one lowdb JSON document holding everything.
 */
export async function runStoreBench(): Promise<BenchTable> {
  const rows: (string | number)[][] = [];
  let at100k = { p99: Number.NaN, ratio: Number.NaN };
  for (const size of SIZES) {
    const oursDir = await mkdtemp(path.join(tmpdir(), 'store-bench-ours-'));
    const naiveDir = await mkdtemp(path.join(tmpdir(), 'store-bench-naive-'));
    try {
      const ours = await measureOurs(oursDir, size);
      const naive = await measureNaive(naiveDir, size);
      ours.sort((a, b) => a - b);
      naive.sort((a, b) => a - b);
      const [o50, o99, n50, n99] = [percentile(ours, 50), percentile(ours, 99), percentile(naive, 50), percentile(naive, 99)];
      if (size === 100_000) at100k = { p99: o99, ratio: n50 / o50 };
      rows.push([size, round(o50), round(o99), round(n50), round(n99), round(n50 / o50), round(n99 / o99)]);
    } finally {
      await rm(oursDir, { recursive: true, force: true });
      await rm(naiveDir, { recursive: true, force: true });
    }
  }
  return {
    title: 'store: update one active run (ms), hot/history lowdb vs naive single-file lowdb',
    columns: ['history runs', 'ours p50', 'ours p99', 'naive p50', 'naive p99', 'naive/ours p50', 'naive/ours p99'],
    rows,
    notes: [
      `${OURS_SAMPLES} updates per size for ours; the naive store rewrites every record per update, so it gets fewer samples.`,
      `target at 100k: ours p99 <= 10 ms -> ${round(at100k.p99)} ms (${at100k.p99 <= 10 ? 'met' : 'MISSED'}); naive/ours >= 20x -> ${round(at100k.ratio)}x (${at100k.ratio >= 20 ? 'met' : 'MISSED'})`,
    ],
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(formatTable(await runStoreBench()));
}
