import { access, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { findProjectRoot } from '../src/package-info.js';
import { formatTable, type BenchTable } from './bench-table.js';
import { benchRunId, directoryBytes, prepareHistoryDataDir } from './history-fixture.js';
import { measureServerStart, type ServerStartMeasurement } from './history-server-probe.js';

const MiB = 1024 * 1024;
/** The budget: 40 MB over the empty figure. */
const RSS_BUDGET_BYTES = 40 * 1000 * 1000;
const START_BUDGET_MS = 2_000;
const ACCESS_CODE = 'history-bench-access-code-0123';
const PANELS = [
  '/admin',
  '/admin/issues',
  '/admin/jobs?status=failed&mapping=OPS&runner=fly-machines',
  '/admin/pulls',
  '/admin/blockers',
  '/admin/projects',
  '/admin/pipelines-steps',
  '/admin/models',
  '/admin/runners',
  '/admin/sessions',
  '/admin/reaper',
  '/admin/secrets',
  '/admin/settings',
  '/admin/audit',
  '/admin/customizations',
];

interface Settings {
  sizes: number[];
  repeat: number;
  root: string;
  /** Kept between runs when set (the 1M directory takes a while to write). */
  keepDir: string | undefined;
  /** Also one audit event per run, as every dispatch appends. */
  audit: boolean;
}

/**
 * `HISTORY_BENCH_SIZES` (default `0,100000`; add `1000000` for the full
 * measurement), `HISTORY_BENCH_REPEAT` (3 fresh processes per size),
 * `HISTORY_BENCH_ROOT` (another checkout's build, to compare before/after),
 * `HISTORY_BENCH_DIR` (keep and reuse the prepared data directories there) and
 * `HISTORY_BENCH_AUDIT=1` (one audit event per run too, as a live install has).
 */
function readSettings(env: NodeJS.ProcessEnv): Settings {
  const sizes = (env['HISTORY_BENCH_SIZES'] ?? '0,100000').split(',').map((s) => Number.parseInt(s.replace(/_/g, ''), 10));
  if (sizes.some((n) => !Number.isInteger(n) || n < 0)) throw new Error('HISTORY_BENCH_SIZES must be a comma-separated list of run counts, e.g. 0,100000,1000000');
  const repeat = Number.parseInt(env['HISTORY_BENCH_REPEAT'] ?? '3', 10);
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error('HISTORY_BENCH_REPEAT must be a positive integer');
  return { sizes, repeat, root: path.resolve(env['HISTORY_BENCH_ROOT'] ?? findProjectRoot()), keepDir: env['HISTORY_BENCH_DIR'], audit: env['HISTORY_BENCH_AUDIT'] === '1' };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const range = (xs: number[], scale: number, digits: number) => {
  const f = (n: number) => (n / scale).toFixed(digits);
  return xs.length === 1 ? f(xs[0]!) : `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;
};

interface SizeResult {
  size: number;
  bytes: number;
  runs: ServerStartMeasurement[];
}

function buildTable(label: string, root: string, results: SizeResult[], settings: Settings): BenchTable {
  const empty = results.find((r) => r.size === 0);
  const emptyRss = empty ? median(empty.runs.map((r) => r.rssBytes)) : undefined;
  const notes: string[] = [];
  const rows = results.map(({ size, bytes, runs }) => {
    const rss = runs.map((r) => r.rssBytes);
    const delta = emptyRss === undefined ? Number.NaN : median(rss) - emptyRss;
    const allPanels = median(runs.map((r) => r.allPanelsMs));
    if (size > 0 && emptyRss !== undefined) notes.push(`${size.toLocaleString('en')} runs: RSS ${delta >= 0 ? '+' : ''}${(delta / MiB).toFixed(1)} MiB against empty, budget 40 MB (${(RSS_BUDGET_BYTES / MiB).toFixed(1)} MiB) → ${delta <= RSS_BUDGET_BYTES ? 'met' : 'MISSED'}`);
    if (size >= 1_000_000) notes.push(`${size.toLocaleString('en')} runs: open and every panel served ${(allPanels / 1000).toFixed(2)} s after start, budget ${START_BUDGET_MS / 1000} s → ${allPanels <= START_BUDGET_MS ? 'met' : 'MISSED'}`);
    return [
      size.toLocaleString('en'),
      `${(bytes / MiB).toFixed(0)} MiB`,
      range(runs.map((r) => r.readyMs), 1000, 2),
      range(runs.map((r) => r.firstJobsMs), 1000, 2),
      range(runs.map((r) => r.allPanelsMs), 1000, 2),
      range(runs.map((r) => r.jobsRequestMs), 1, 0),
      runs.every((r) => r.readyRssBytes !== undefined) ? range(runs.map((r) => r.readyRssBytes!), MiB, 0) : '–',
      range(rss, MiB, 0),
      emptyRss === undefined ? '–' : `${delta >= 0 ? '+' : ''}${(delta / MiB).toFixed(1)}`,
      emptyRss === undefined ? '–' : `${(median(rss) / emptyRss).toFixed(2)}×`,
    ];
  });
  notes.push(
    `Median of ${settings.repeat} fresh server processes per size (min–max in brackets), sandbox mode, \`node --expose-gc dist/src/main.js\` from ${root}.`,
    'Times are from spawn: ready = first /readyz 200; then log in, GET /admin/jobs, then every other panel once. RSS at ready: as is; RSS idle: 2 s after the panels, after a full GC (the Δ and the budget use this one).',
  );
  return {
    title: `History size${label}: server start and memory (finished runs in history${settings.audit ? ', plus one audit event per run' : ''})`,
    columns: ['runs', 'on disk', 'ready s', 'first /admin/jobs s', 'every panel s', '/admin/jobs ms', 'RSS at ready MiB', 'RSS idle MiB', 'Δ idle MiB', 'idle ×empty'],
    rows,
    notes,
  };
}

/**
 * Ready time, first `/admin/jobs` and idle RSS of the real server with 0 /
 * 100k / 1M finished runs in history. With `HISTORY_BENCH_COMPARE=<root>`,
 * that build is measured on the same data directories, its processes
 * alternating with this build's so both see the same machine load.
 */
export async function runHistoryBench(env: NodeJS.ProcessEnv = process.env): Promise<BenchTable[]> {
  const settings = readSettings(env);
  const compare = env['HISTORY_BENCH_COMPARE'] ? path.resolve(env['HISTORY_BENCH_COMPARE']) : undefined;
  const roots = compare ? [compare, settings.root] : [settings.root];
  for (const root of roots) {
    await access(path.join(root, 'dist/src/main.js')).catch(() => {
      throw new Error(`${root}/dist/src/main.js is missing: run npm run build first`);
    });
  }
  const work = settings.keepDir ?? (await mkdtemp(path.join(tmpdir(), 'history-bench-')));
  await mkdir(work, { recursive: true });
  const results = roots.map((): SizeResult[] => []);
  try {
    for (const size of settings.sizes) {
      const dataDir = path.join(work, `runs-${size}${settings.audit ? '-audit' : ''}`);
      const reuse = settings.keepDir !== undefined && (await access(path.join(dataDir, 'store.json')).then(() => true, () => false));
      if (!reuse) await prepareHistoryDataDir(dataDir, size, Date.now(), settings.audit);
      const bytes = await directoryBytes(dataDir);
      const panels = size > 7 ? [...PANELS, `/admin/runs/${benchRunId(7)}`] : PANELS;
      const runs = roots.map((): ServerStartMeasurement[] => []);
      for (let i = 0; i < settings.repeat; i++) {
        for (const [r, root] of roots.entries()) runs[r]!.push(await measureServerStart({ root, dataDir, accessCode: ACCESS_CODE, panels }));
      }
      runs.forEach((list, r) => results[r]!.push({ size, bytes, runs: list }));
    }
  } finally {
    if (!settings.keepDir) await rm(work, { recursive: true, force: true });
  }
  return roots.map((root, r) => buildTable(compare ? (r === 0 ? ' — before' : ' — after') : '', root, results[r]!, settings));
}

// `tsx bench/history-bench.ts` runs this bench alone.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) for (const table of await runHistoryBench()) console.log(`${formatTable(table)}\n`);
