import { ConflictError, NotFoundError, ValidationError } from '../../errors/index.js';
import type { Run, RunStatus } from '../../domain/run.js';
import { isTerminal, transitionRefusal } from '../../domain/run-status.js';
import { capLogExcerpt, type RunStep } from '../../domain/step.js';
import { clone, toIso } from '../core/codec.js';
import { asSet } from '../core/run-filter.js';
import { applyRunUpdate, takeQueuedRun } from '../core/run-records.js';
import { compact } from '../core/store-context.js';
import type { ActiveRunFilter, RunRepo } from '../store.js';
import { DUE_IN_QUEUE, LIVE_RUN } from './migrations.js';
import { claimTicket } from './pg-claim-ticket.js';
import { asStored, jsonParam, type PgContext } from './pg-context.js';
import { countRuns, listRuns, runStats } from './pg-run-queries.js';
import { RUN_UPDATE_SET, runValues } from './pg-run-rows.js';
import type { Sql } from './pg-db.js';

const STEP_OUTPUT_MAX_BYTES = 64 * 1024;

/** Locks a run's row for the rest of the transaction; 404 when unknown, 409 when finished. */
async function lockLiveRun(tx: Sql, id: string): Promise<Run> {
  const found = await tx.query<{ run: Run }>('SELECT run FROM runs WHERE id = $1 FOR UPDATE', [id]);
  const run = found.rows[0]?.run;
  if (!run) throw new NotFoundError(`run ${id} not found`);
  if (isTerminal(run.status)) throw new ConflictError(`run ${id} is finished`);
  return run;
}

/** WHERE conditions and values of an active-run filter. */
function activeFilter(filter: ActiveRunFilter): { where: string; values: unknown[] } {
  const values: unknown[] = [];
  const where = [LIVE_RUN];
  const add = (sql: (n: string) => string, value: unknown) => {
    values.push(value);
    where.push(sql(`$${values.length}`));
  };
  const statuses = asSet<RunStatus>(filter.status);
  if (statuses) add((n) => `status = ANY(${n}::text[])`, [...statuses]);
  if (filter.mappingKey !== undefined) add((n) => `mapping_key = ${n}`, filter.mappingKey);
  if (filter.backend !== undefined) add((n) => `backend = ${n}`, filter.backend);
  if (filter.issueId !== undefined) add((n) => `issue_id = ${n}`, filter.issueId);
  if (filter.phase) add((n) => `phase = ${n}`, filter.phase);
  return { where: where.join(' AND '), values };
}

export function createPgRunRepo(ctx: PgContext): RunRepo {
  const getRun = async (id: string): Promise<Run | undefined> => {
    const found = await ctx.db().query<{ run: Run }>('SELECT run FROM runs WHERE id = $1', [id]);
    return found.rows[0]?.run;
  };

  return {
    async deleteRun(id) {
      return ctx.db().transaction(async (tx) => {
        const found = await tx.query<{ run: Run }>('SELECT run FROM runs WHERE id = $1 FOR UPDATE', [id]);
        const run = found.rows[0]?.run;
        if (!run) return false;
        const refusal = transitionRefusal(run.status, 'deleted', id);
        if (refusal) throw new ConflictError(`${refusal}; stop it first`);
        await tx.query('INSERT INTO deleted_runs (id, deleted_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [id, toIso(ctx.clock())]);
        // Its request keys go with it: a key naming a run nobody can read would refuse that request forever.
        await tx.query('DELETE FROM claim_keys WHERE run_id = $1', [id]);
        await tx.query('DELETE FROM run_steps WHERE run_id = $1', [id]);
        await tx.query('DELETE FROM runs WHERE id = $1', [id]);
        return true;
      });
    },

    async claimTicket(intent) {
      ctx.db();
      if (!intent.issueId || !intent.phase) throw new ValidationError('issueId and phase are required', 'issueId');
      return claimTicket(ctx, intent, getRun);
    },

    async leaseDueRuns(request) {
      const now = ctx.clock();
      return ctx.db().transaction(async (tx) => {
        // Rows another replica is taking right now are skipped, not waited for: each takes different runs.
        const found = await tx.query<{ run: Run }>(
          `SELECT run FROM runs WHERE ${DUE_IN_QUEUE} ORDER BY coalesce((run->>'retryAt')::timestamptz, updated_at), id LIMIT $2 FOR UPDATE SKIP LOCKED`,
          [toIso(now), Math.max(0, request.limit)],
        );
        const taken: Run[] = [];
        for (const { run } of found.rows) {
          const updated: Run = asStored(takeQueuedRun(run, request, now));
          await tx.query(`UPDATE runs SET ${RUN_UPDATE_SET} WHERE id = $1`, runValues(updated));
          taken.push(updated);
        }
        return taken;
      });
    },

    async updateRun(id, patch, expect = {}) {
      return ctx.db().transaction(async (tx) => {
        // The row lock makes the checks and the write one step: a concurrent update waits, then sees this one.
        const run = await lockLiveRun(tx, id);
        const updated: Run = asStored(applyRunUpdate(run, patch, expect, ctx.clock()));
        await tx.query(`UPDATE runs SET ${RUN_UPDATE_SET} WHERE id = $1`, runValues(updated));
        return updated;
      });
    },

    async getRun(id) {
      return getRun(id);
    },

    async listActiveRuns(filter = {}) {
      const { where, values } = activeFilter(filter);
      const found = await ctx.db().query<{ run: Run }>(`SELECT run FROM runs WHERE ${where} ORDER BY created_at, id`, values);
      return found.rows.map((r) => r.run);
    },

    listRuns: (query = {}) => listRuns(ctx, query),
    countRuns: (query = {}) => countRuns(ctx, query),
    stats: () => runStats(ctx),

    async upsertStep(step) {
      ctx.db();
      if (!step.id || !step.runId) throw new ValidationError('step id and runId are required', 'id');
      if (step.output !== undefined && Buffer.byteLength(JSON.stringify(step.output)) > STEP_OUTPUT_MAX_BYTES) {
        throw new ValidationError(`step output exceeds ${STEP_OUTPUT_MAX_BYTES} bytes`, 'output');
      }
      return ctx.db().transaction(async (tx) => {
        // Locking the run serialises its step upserts with each other and with its finish.
        await lockLiveRun(tx, step.runId);
        const found = await tx.query<{ step: RunStep }>('SELECT step FROM run_steps WHERE run_id = $1 AND step_id = $2', [step.runId, step.id]);
        const merged: RunStep = compact({ ...found.rows[0]?.step, ...clone(step), updatedAt: toIso(ctx.clock()) });
        if (merged.logExcerpt !== undefined) merged.logExcerpt = capLogExcerpt(merged.logExcerpt);
        const stored = asStored(merged);
        await tx.query(
          `INSERT INTO run_steps (run_id, step_id, step) VALUES ($1, $2, $3)
           ON CONFLICT (run_id, step_id) DO UPDATE SET step = excluded.step`,
          [step.runId, step.id, jsonParam(stored)],
        );
        return stored;
      });
    },

    async listSteps(runId) {
      const found = await ctx.db().query<{ step: RunStep }>('SELECT step FROM run_steps WHERE run_id = $1 ORDER BY seq', [runId]);
      return found.rows.map((r) => r.step);
    },
  };
}
