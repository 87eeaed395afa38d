import { ConflictError, NotFoundError, ValidationError } from '../../errors/index.js';
import type { Run, RunStatus } from '../../domain/run.js';
import { upgradeLegacyRun } from '../../domain/legacy-run-names.js';
import { isTerminal, transitionRefusal } from '../../domain/run-status.js';
import { capLogExcerpt, type RunStep } from '../../domain/step.js';
import type { ActiveRunFilter, RunQuery, RunRepo, RunStats } from '../store.js';
import { claimTicketOnce, RECHECK } from './claim-ticket.js';
import { applyRunUpdate, takeQueuedRun } from './run-records.js';
import { pickDueRuns } from '../../domain/dispatch-lease.js';
import { clampLimit, clone, encodeCursor, toIso } from './codec.js';
import type { Tx } from './commit-queue.js';
import type { RunHistoryRecord } from './hot-doc.js';
import { asSet } from './run-filter.js';
import { compareKey, toIndexEntry } from './run-index.js';
import { countRuns, runStats, walkRuns, type WalkItem } from './run-queries.js';
import { compact, type StoreContext } from './store-context.js';

const STEP_OUTPUT_MAX_BYTES = 64 * 1024;

/** Thrown inside a commit when the run is not in the hot document; the caller then asks history why. */
class NotLive {
  constructor(readonly id: string) {}
}

function makeMatcher(filter: ActiveRunFilter): (r: Run) => boolean {
  const statuses = asSet<RunStatus>(filter.status);
  return (r) =>
    (!statuses || statuses.has(r.status)) &&
    (filter.mappingKey === undefined || r.mappingKey === filter.mappingKey) &&
    (filter.backend === undefined || r.backend === filter.backend) &&
    (filter.issueId === undefined || r.issueId === filter.issueId) &&
    (!filter.phase || r.phase === filter.phase);
}

/** Moves a terminal run and its steps to history once the append is durable. */
function retire(ctx: StoreContext, tx: Tx, run: Run): void {
  const replaces = ctx.historicCopies.get(run.id);
  const record: RunHistoryRecord = { run, steps: tx.doc.steps[run.id] ?? [], ...(replaces ? { replaces } : {}) };
  tx.appendHistory('runs', record, (pointer) => {
    ctx.runCatalog.add(toIndexEntry(run, pointer), replaces);
    ctx.historicCopies.delete(run.id);
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
  const entry = await ctx.runCatalog.find(id);
  if (!entry) return undefined;
  const [record] = (await ctx.history.read('runs', [entry.pointer])) as RunHistoryRecord[];
  // History files are never rewritten: a run finished before issue 19's renames is upgraded as it is read.
  return record ? { ...record, run: upgradeLegacyRun(record.run) } : undefined;
}

/** Runs a commit that needs the run live; a run that is not says finished (409) or unknown (404). */
async function withLiveRun<T>(ctx: StoreContext, commit: Promise<T>): Promise<T> {
  try {
    return await commit;
  } catch (error) {
    if (!(error instanceof NotLive)) throw error;
    // History only grows, so asking after the commit cannot wrongly call a finished run unknown.
    if (await ctx.runCatalog.find(error.id)) throw new ConflictError(`run ${error.id} is finished`);
    throw new NotFoundError(`run ${error.id} not found`);
  }
}

function isDeleted(ctx: StoreContext, id: string): boolean {
  const deleted = ctx.doc().deletedRuns;
  return deleted !== undefined && Object.hasOwn(deleted, id);
}

export function createRunRepo(ctx: StoreContext): RunRepo {
  const getRun = async (id: string): Promise<Run | undefined> => {
    ctx.assertOpen();
    const hot = ctx.doc().runs[id];
    if (hot) return clone(hot);
    if (isDeleted(ctx, id)) return undefined;
    return (await readHistoric(ctx, id))?.run;
  };

  return {
    async claimTicket(intent) {
      ctx.assertOpen();
      if (!intent.issueId || !intent.phase) throw new ValidationError('issueId and phase are required', 'issueId');
      for (;;) {
        const outcome = await claimTicketOnce(ctx, intent);
        if (outcome === RECHECK) continue;
        if (!('existingId' in outcome)) return outcome;
        const existing = await getRun(outcome.existingId);
        if (!existing) throw new NotFoundError(`run ${outcome.existingId} for dedup key is missing`);
        return { claimed: false, existing };
      }
    },

    async leaseDueRuns(request) {
      ctx.assertOpen();
      // Nothing due: no commit (touching the document would rewrite it).
      if (pickDueRuns(Object.values(ctx.doc().runs), ctx.clock(), request.limit).length === 0) return [];
      // The single writer makes the pick and the writes one step.
      return ctx.queue.submit((tx) => {
        const now = ctx.clock();
        return pickDueRuns(Object.values(tx.doc.runs), now, request.limit).map((run) => {
          const taken = takeQueuedRun(run, request, now);
          tx.doc.runs[run.id] = taken;
          return clone(taken);
        });
      });
    },

    async updateRun(id, patch, expect = {}) {
      ctx.assertOpen();
      return withLiveRun(
        ctx,
        ctx.queue.submit((tx) => {
          const run = tx.doc.runs[id];
          if (!run) throw new NotLive(id);
          const updated = applyRunUpdate(run, patch, expect, ctx.clock());
          tx.doc.runs[id] = updated;
          if (isTerminal(updated.status)) retire(ctx, tx, updated);
          return clone(updated);
        }),
      );
    },

    getRun,

    async listActiveRuns(filter: ActiveRunFilter = {}) {
      ctx.assertOpen();
      const matches = makeMatcher(filter);
      return Object.values(ctx.doc().runs)
        .filter((r) => !isTerminal(r.status) && matches(r))
        .sort((a, b) => compareKey(Date.parse(a.createdAt), a.id, Date.parse(b.createdAt), b.id))
        .map((r) => clone(r));
    },

    async listRuns(query: RunQuery = {}) {
      ctx.assertOpen();
      const limit = clampLimit(query.limit, 50, 500);
      const picked: WalkItem[] = [];
      for await (const item of walkRuns(ctx, query)) {
        picked.push(item);
        if (picked.length > limit) break;
      }
      const page = picked.slice(0, limit);
      const historic = page.flatMap((p) => ('entry' in p ? [p.entry.pointer] : []));
      const records = (await ctx.history.read('runs', historic)) as RunHistoryRecord[];
      let r = 0;
      const items = page.map((p) => ('run' in p ? clone(p.run) : upgradeLegacyRun(records[r++]!.run)));
      const last = items[items.length - 1];
      return picked.length > limit && last
        ? { items, nextCursor: encodeCursor([Date.parse(last.createdAt), last.id]) }
        : { items };
    },

    async countRuns(query = {}) {
      ctx.assertOpen();
      return countRuns(ctx, query);
    },

    async stats(): Promise<RunStats> {
      ctx.assertOpen();
      return runStats(ctx);
    },

    async upsertStep(step) {
      ctx.assertOpen();
      if (!step.id || !step.runId) throw new ValidationError('step id and runId are required', 'id');
      if (step.output !== undefined && Buffer.byteLength(JSON.stringify(step.output)) > STEP_OUTPUT_MAX_BYTES) {
        throw new ValidationError(`step output exceeds ${STEP_OUTPUT_MAX_BYTES} bytes`, 'output');
      }
      return withLiveRun(
        ctx,
        ctx.queue.submit((tx) => {
          const run = tx.doc.runs[step.runId];
          if (!run) throw new NotLive(step.runId);
          if (isTerminal(run.status)) throw new ConflictError(`run ${step.runId} is finished`);
          const steps = (tx.doc.steps[step.runId] ??= []);
          const i = steps.findIndex((s) => s.id === step.id);
          const merged: RunStep = compact({ ...steps[i], ...clone(step), updatedAt: toIso(ctx.clock()) });
          if (merged.logExcerpt !== undefined) merged.logExcerpt = capLogExcerpt(merged.logExcerpt);
          if (i >= 0) steps[i] = merged;
          else steps.push(merged);
          return clone(merged);
        }),
      );
    },

    async listSteps(runId) {
      ctx.assertOpen();
      const hot = ctx.doc().steps[runId];
      if (hot && ctx.doc().runs[runId]) return clone(hot);
      if (isDeleted(ctx, runId)) return [];
      return (await readHistoric(ctx, runId))?.steps ?? [];
    },

    async deleteRun(id) {
      ctx.assertOpen();
      const live = ctx.doc().runs[id];
      // Only a finished run may go to `deleted` (the state machine's rule); a live one holds its ticket.
      if (live) throw new ConflictError(`${transitionRefusal(live.status, 'deleted', id) ?? `run ${id} is ${live.status}`}; stop it first`);
      if (isDeleted(ctx, id)) return false;
      const entry = await ctx.runCatalog.find(id);
      if (!entry) return false;
      return ctx.queue.submit((tx) => {
        // Checked again inside the commit: the run may have been deleted meanwhile.
        const deleted = (tx.doc.deletedRuns ??= {});
        if (Object.hasOwn(deleted, id)) return false;
        const { pointer: _pointer, ...fields } = entry;
        deleted[id] = { ...fields, deletedAt: toIso(ctx.clock()) };
        // Its request keys go with it: a key naming a run nobody can read would refuse that request forever.
        for (const [key, held] of Object.entries(tx.doc.claimKeys)) if (held.runId === id) delete tx.doc.claimKeys[key];
        return true;
      });
    },
  };
}
