import { ConflictError, NotFoundError, ValidationError } from '../../errors/index.js';
import type { Run, RunStatus } from '../../domain/run.js';
import { canTransition, isTerminal } from '../../domain/run-status.js';
import { capLogExcerpt, type RunStep } from '../../domain/step.js';
import type { ActiveRunFilter, ClaimResult, RunQuery, RunRepo, RunStats } from '../store.js';
import { clampLimit, clone, decodeCursor, encodeCursor, toIso, toMs } from './codec.js';
import type { Tx } from './commit-queue.js';
import type { RunHistoryRecord } from './hot-doc.js';
import { compareKey, toIndexEntry, type RunIndexEntry } from './run-index.js';
import { compact, type StoreContext } from './store-context.js';

const DEFAULT_DEDUP_KEY_TTL_MS = 7 * 24 * 3600_000;
const STEP_OUTPUT_MAX_BYTES = 64 * 1024;
const HOUR_MS = 3600_000;

type Filterable = Pick<
  RunIndexEntry,
  'status' | 'mappingKey' | 'backend' | 'runnerMode' | 'triggerSource' | 'issueId'
>;

function asSet<T>(value: T | readonly T[] | undefined): Set<T> | undefined {
  if (value === undefined) return undefined;
  return new Set(Array.isArray(value) ? (value as T[]) : [value as T]);
}

function makeMatcher(query: RunQuery | ActiveRunFilter): (r: Filterable) => boolean {
  const statuses = asSet<RunStatus>(query.status);
  const q = query as RunQuery;
  return (r) =>
    (!statuses || statuses.has(r.status)) &&
    (q.mappingKey === undefined || r.mappingKey === q.mappingKey) &&
    (q.backend === undefined || r.backend === q.backend) &&
    (q.runnerMode === undefined || r.runnerMode === q.runnerMode) &&
    (q.triggerSource === undefined || r.triggerSource === q.triggerSource) &&
    (q.issueId === undefined || r.issueId === q.issueId);
}

/** Moves a terminal run and its steps to history once the append is durable. */
function retire(ctx: StoreContext, tx: Tx, run: Run): void {
  const record: RunHistoryRecord = { run, steps: tx.doc.steps[run.id] ?? [] };
  tx.appendHistory('runs', record, (pointer) => {
    ctx.runIndex().add(toIndexEntry(run, pointer));
    if (tx.doc.runs[run.id] === run) {
      delete tx.doc.runs[run.id];
      delete tx.doc.steps[run.id];
    }
  });
}

export function retireTerminalRuns(ctx: StoreContext): Promise<void> {
  return ctx.queue.submit((tx) => {
    for (const run of Object.values(tx.doc.runs)) if (isTerminal(run.status)) retire(ctx, tx, run);
  });
}

async function readHistoric(ctx: StoreContext, id: string): Promise<RunHistoryRecord | undefined> {
  const entry = ctx.runIndex().get(id);
  if (!entry) return undefined;
  const [record] = await ctx.history.read('runs', [entry.pointer]);
  return record as RunHistoryRecord;
}

export function createRunRepo(ctx: StoreContext): RunRepo {
  const getRun = async (id: string): Promise<Run | undefined> => {
    ctx.assertOpen();
    const hot = ctx.doc().runs[id];
    if (hot) return clone(hot);
    return (await readHistoric(ctx, id))?.run;
  };

  /** Active runs and history merged newest first, hot copies winning. */
  function* walk(query: RunQuery): Generator<{ run: Run } | { entry: RunIndexEntry }> {
    const doc = ctx.doc();
    const matches = makeMatcher(query);
    const fromMs = query.from === undefined ? -Infinity : toMs(query.from, 'from');
    const toMsBound = query.to === undefined ? Infinity : toMs(query.to, 'to');
    let before: { ms: number; id: string } | undefined;
    if (query.cursor) {
      const [ms, id] = decodeCursor(query.cursor);
      if (typeof ms !== 'number' || typeof id !== 'string') throw new ValidationError('bad cursor', 'cursor');
      before = { ms, id };
    }
    if (Number.isFinite(toMsBound) && (!before || toMsBound <= before.ms)) before = { ms: toMsBound, id: '' };
    const inRange = (ms: number, id: string) =>
      ms >= fromMs && ms < toMsBound && (!before || compareKey(ms, id, before.ms, before.id) < 0);
    const active = Object.values(doc.runs)
      .map((run) => ({ run, ms: Date.parse(run.createdAt) }))
      .filter(({ run, ms }) => inRange(ms, run.id) && matches(run))
      .sort((a, b) => compareKey(b.ms, b.run.id, a.ms, a.run.id));
    const history = ctx.runIndex().descending(before);
    const nextHistoric = (): RunIndexEntry | undefined => {
      for (let r = history.next(); !r.done; r = history.next()) {
        const e = r.value;
        if (e.createdMs < fromMs) return undefined;
        if (!doc.runs[e.id] && matches(e)) return e;
      }
      return undefined;
    };
    let a = 0;
    let h = nextHistoric();
    while (a < active.length || h) {
      const act = active[a];
      if (act && (!h || compareKey(act.ms, act.run.id, h.createdMs, h.id) > 0)) {
        yield { run: act.run };
        a++;
      } else if (h) {
        yield { entry: h };
        h = nextHistoric();
      }
    }
  }

  return {
    async claimTicket(intent): Promise<ClaimResult> {
      ctx.assertOpen();
      if (!intent.issueId || !intent.phase) throw new ValidationError('issueId and phase are required', 'issueId');
      const outcome = await ctx.queue.submit((tx): ClaimResult | { existingId: string } => {
        const doc = tx.doc;
        const now = ctx.clock();
        if (intent.dedupKey) {
          const key = doc.claimKeys[intent.dedupKey];
          if (key && key.expiresAt > now) return { existingId: key.runId };
        }
        // A shadow leg runs beside its primary: each kind has its own live slot.
        const shadow = intent.shadowOf !== undefined;
        const live = Object.values(doc.runs).find(
          (r) => r.issueId === intent.issueId && r.phase === intent.phase && (r.shadowOf !== undefined) === shadow && !isTerminal(r.status),
        );
        if (live) return { claimed: false, existing: clone(live) };
        const id = intent.id ?? ctx.newId();
        if (doc.runs[id] || ctx.runIndex().get(id)) throw new ConflictError(`run ${id} already exists`);
        const run: Run = compact({
          id,
          issueId: intent.issueId,
          identifier: intent.identifier,
          title: intent.title,
          tracker: intent.tracker,
          mappingKey: intent.mappingKey,
          phase: intent.phase,
          status: intent.status ?? 'dispatching',
          attempt: intent.attempt ?? 1,
          dispatchNumber: intent.dispatchNumber ?? 1,
          backend: intent.backend,
          runnerMode: intent.runnerMode,
          triggerSource: intent.triggerSource,
          instructions: intent.instructions,
          shadowOf: intent.shadowOf,
          deadlineAt: intent.deadlineAt,
          createdAt: toIso(now),
          updatedAt: toIso(now),
        });
        doc.runs[id] = run;
        doc.steps[id] = [];
        if (intent.dedupKey) {
          const ttl = intent.dedupKeyTtlMs ?? DEFAULT_DEDUP_KEY_TTL_MS;
          doc.claimKeys[intent.dedupKey] = { runId: id, expiresAt: now + ttl };
        }
        return { claimed: true, run: clone(run) };
      });
      if (!('existingId' in outcome)) return outcome;
      const existing = await getRun(outcome.existingId);
      if (!existing) throw new NotFoundError(`run ${outcome.existingId} for dedup key is missing`);
      return { claimed: false, existing };
    },

    async updateRun(id, patch, expect = {}) {
      ctx.assertOpen();
      return ctx.queue.submit((tx) => {
        const run = tx.doc.runs[id];
        if (!run) {
          if (ctx.runIndex().get(id)) throw new ConflictError(`run ${id} is finished`);
          throw new NotFoundError(`run ${id} not found`);
        }
        const expected = asSet<RunStatus>(expect.expectStatus);
        if (expected && !expected.has(run.status)) {
          throw new ConflictError(`run ${id} is ${run.status}, expected ${[...expected].join('|')}`);
        }
        if (expect.expectAttempt !== undefined && run.attempt !== expect.expectAttempt) {
          throw new ConflictError(`run ${id} is on attempt ${run.attempt}, expected ${expect.expectAttempt}`);
        }
        const next = patch.status ?? run.status;
        if (!canTransition(run.status, next)) throw new ConflictError(`run ${id} cannot go ${run.status} → ${next}`);
        const now = toIso(ctx.clock());
        const updated: Run = compact({ ...run, ...clone(patch), id: run.id, createdAt: run.createdAt, updatedAt: now });
        if (isTerminal(next)) updated.finishedAt ??= now;
        tx.doc.runs[id] = updated;
        if (isTerminal(next)) retire(ctx, tx, updated);
        return clone(updated);
      });
    },

    getRun,

    async listActiveRuns(filter: ActiveRunFilter = {}) {
      ctx.assertOpen();
      const matches = makeMatcher(filter);
      return Object.values(ctx.doc().runs)
        .filter((r) => !isTerminal(r.status) && matches(r) && (!filter.phase || r.phase === filter.phase))
        .sort((a, b) => compareKey(Date.parse(a.createdAt), a.id, Date.parse(b.createdAt), b.id))
        .map((r) => clone(r));
    },

    async listRuns(query: RunQuery = {}) {
      ctx.assertOpen();
      const limit = clampLimit(query.limit, 50, 500);
      const picked: ({ run: Run } | { entry: RunIndexEntry })[] = [];
      for (const item of walk(query)) {
        picked.push(item);
        if (picked.length > limit) break;
      }
      const page = picked.slice(0, limit);
      const historic = page.flatMap((p) => ('entry' in p ? [p.entry.pointer] : []));
      const records = (await ctx.history.read('runs', historic)) as RunHistoryRecord[];
      let r = 0;
      const items = page.map((p) => ('run' in p ? clone(p.run) : records[r++]!.run));
      const last = items[items.length - 1];
      return picked.length > limit && last
        ? { items, nextCursor: encodeCursor([Date.parse(last.createdAt), last.id]) }
        : { items };
    },

    async countRuns(query = {}) {
      ctx.assertOpen();
      let n = 0;
      for (const _ of walk(query)) n++;
      return n;
    },

    async stats(): Promise<RunStats> {
      ctx.assertOpen();
      const doc = ctx.doc();
      const now = ctx.clock();
      const start = Math.floor(now / HOUR_MS) * HOUR_MS - 23 * HOUR_MS;
      const hours = Array.from({ length: 24 }, (_, i) => ({ start: toIso(start + i * HOUR_MS), created: 0, failed: 0 }));
      const bucket = (ms: number) => hours[Math.floor((ms - start) / HOUR_MS)];
      const inProgressByMapping: Record<string, number> = {};
      let activeCount = 0;
      for (const run of Object.values(doc.runs)) {
        const created = bucket(Date.parse(run.createdAt));
        if (created) created.created++;
        if (run.status === 'failed') {
          const failed = bucket(Date.parse(run.finishedAt ?? run.updatedAt));
          if (failed) failed.failed++;
        }
        if (!isTerminal(run.status)) {
          activeCount++;
          inProgressByMapping[run.mappingKey] = (inProgressByMapping[run.mappingKey] ?? 0) + 1;
        }
      }
      const index = ctx.runIndex();
      for (const e of index.createdSince(start)) {
        const b = bucket(e.createdMs);
        if (b && !doc.runs[e.id]) b.created++;
      }
      for (const f of index.failedSince(start)) {
        const b = bucket(f.at);
        if (b && !doc.runs[f.id]) b.failed++;
      }
      return {
        hours,
        createdLast24h: hours.reduce((s, h) => s + h.created, 0),
        failedLast24h: hours.reduce((s, h) => s + h.failed, 0),
        activeCount,
        inProgressByMapping,
      };
    },

    async upsertStep(step) {
      ctx.assertOpen();
      if (!step.id || !step.runId) throw new ValidationError('step id and runId are required', 'id');
      if (step.output !== undefined && Buffer.byteLength(JSON.stringify(step.output)) > STEP_OUTPUT_MAX_BYTES) {
        throw new ValidationError(`step output exceeds ${STEP_OUTPUT_MAX_BYTES} bytes`, 'output');
      }
      return ctx.queue.submit((tx) => {
        const run = tx.doc.runs[step.runId];
        if (!run) {
          if (ctx.runIndex().get(step.runId)) throw new ConflictError(`run ${step.runId} is finished`);
          throw new NotFoundError(`run ${step.runId} not found`);
        }
        if (isTerminal(run.status)) throw new ConflictError(`run ${step.runId} is finished`);
        const steps = (tx.doc.steps[step.runId] ??= []);
        const i = steps.findIndex((s) => s.id === step.id);
        const merged: RunStep = compact({ ...steps[i], ...clone(step), updatedAt: toIso(ctx.clock()) });
        if (merged.logExcerpt !== undefined) merged.logExcerpt = capLogExcerpt(merged.logExcerpt);
        if (i >= 0) steps[i] = merged;
        else steps.push(merged);
        return clone(merged);
      });
    },

    async listSteps(runId) {
      ctx.assertOpen();
      const hot = ctx.doc().steps[runId];
      if (hot && ctx.doc().runs[runId]) return clone(hot);
      return (await readHistoric(ctx, runId))?.steps ?? [];
    },
  };
}
