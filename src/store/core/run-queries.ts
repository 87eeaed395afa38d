import { ValidationError } from '../../errors/index.js';
import type { Run } from '../../domain/run.js';
import { isTerminal } from '../../domain/run-status.js';
import type { RunQuery, RunStats } from '../store.js';
import { decodeCursor, toIso } from './codec.js';
import { filterableOf, matchesFilter, runFilterOf } from './run-filter.js';
import { compareKey, hourOf, type RunIndexEntry, type RunKey } from './run-index.js';
import type { StoreContext } from './store-context.js';

const HOUR_MS = 3600_000;

export type WalkItem = { run: Run } | { entry: RunIndexEntry };

/**
 * Active runs and history merged newest first, hot copies winning. The hot
 * ids are taken once at the start, so a run that finishes while the walk
 * reads history is not listed twice.
 */
export async function* walkRuns(ctx: StoreContext, query: RunQuery): AsyncGenerator<WalkItem> {
  const doc = ctx.doc();
  const filter = runFilterOf(query);
  let before: RunKey | undefined;
  if (query.cursor) {
    const [ms, id] = decodeCursor(query.cursor);
    if (typeof ms !== 'number' || typeof id !== 'string') throw new ValidationError('bad cursor', 'cursor');
    before = { ms, id };
  }
  if (Number.isFinite(filter.toMs) && (!before || filter.toMs <= before.ms)) before = { ms: filter.toMs, id: '' };
  const below = before;
  const hotIds = new Set(Object.keys(doc.runs));
  // Deleted runs stay in the append-only history; their tombstones hide them.
  const deleted = doc.deletedRuns ?? {};
  const active = Object.values(doc.runs)
    .map((run) => ({ run, ms: Date.parse(run.createdAt) }))
    .filter(({ run, ms }) => matchesFilter(filterableOf(run), filter) && (!below || compareKey(ms, run.id, below.ms, below.id) < 0))
    .sort((a, b) => compareKey(b.ms, b.run.id, a.ms, a.run.id));
  const history = ctx.runCatalog.descending(filter, before);
  const nextHistoric = async (): Promise<RunIndexEntry | undefined> => {
    for (let r = await history.next(); !r.done; r = await history.next()) if (!hotIds.has(r.value.id) && !Object.hasOwn(deleted, r.value.id)) return r.value;
    return undefined;
  };
  try {
    let a = 0;
    let h = await nextHistoric();
    while (a < active.length || h) {
      const act = active[a];
      if (act && (!h || compareKey(act.ms, act.run.id, h.createdMs, h.id) > 0)) {
        yield { run: act.run };
        a++;
      } else if (h) {
        yield { entry: h };
        h = await nextHistoric();
      }
    }
  } finally {
    await history.return(undefined);
  }
}

/** Active matches, plus history's count, less history copies the hot document overrides. */
export async function countRuns(ctx: StoreContext, query: Omit<RunQuery, 'limit' | 'cursor'>): Promise<number> {
  const filter = runFilterOf(query);
  const doc = ctx.doc();
  let n = 0;
  for (const run of Object.values(doc.runs)) if (matchesFilter(filterableOf(run), filter)) n++;
  n += await ctx.runCatalog.count(filter);
  for (const [id, e] of ctx.historicCopies) if (doc.runs[id] && matchesFilter(e, filter)) n--;
  for (const e of Object.values(doc.deletedRuns ?? {})) if (matchesFilter(e, filter)) n--;
  return n;
}

export async function runStats(ctx: StoreContext): Promise<RunStats> {
  const now = ctx.clock();
  const start = Math.floor(now / HOUR_MS) * HOUR_MS - 23 * HOUR_MS;
  const history = await ctx.runCatalog.hourly(start, 24);
  const doc = ctx.doc();
  const hours = history.created.map((created, i) => ({ start: toIso(start + i * HOUR_MS), created, failed: history.failed[i]! }));
  const bump = (ms: number, field: 'created' | 'failed', by: number) => {
    const h = hourOf(ms, start, 24);
    if (h >= 0) hours[h]![field] += by;
  };
  const inProgressByMapping: Record<string, number> = {};
  let activeCount = 0;
  for (const run of Object.values(doc.runs)) {
    bump(Date.parse(run.createdAt), 'created', 1);
    if (run.status === 'failed') bump(Date.parse(run.finishedAt ?? run.updatedAt), 'failed', 1);
    if (!isTerminal(run.status)) {
      activeCount++;
      inProgressByMapping[run.mappingKey] = (inProgressByMapping[run.mappingKey] ?? 0) + 1;
    }
  }
  // A history copy the hot document overrides is counted there, not twice.
  for (const [id, e] of ctx.historicCopies) {
    if (!doc.runs[id]) continue;
    bump(e.createdMs, 'created', -1);
    if (e.status === 'failed') bump(e.finishedMs, 'failed', -1);
  }
  for (const e of Object.values(doc.deletedRuns ?? {})) {
    bump(e.createdMs, 'created', -1);
    if (e.status === 'failed') bump(e.finishedMs, 'failed', -1);
  }
  return {
    hours,
    createdLast24h: hours.reduce((s, h) => s + h.created, 0),
    failedLast24h: hours.reduce((s, h) => s + h.failed, 0),
    activeCount,
    inProgressByMapping,
  };
}
