import type { Schedule } from '../../domain/schedule.js';
import { ConflictError } from '../../errors/index.js';
import { applySchedulePatch, checkNewSchedule } from '../core/schedule-records.js';
import type { ScheduleRepo } from '../store.js';
import { asStored, jsonParam, timeParam, type PgContext } from './pg-context.js';

/** Schedules as rows; a row lock makes the next-fire compare-and-set atomic across replicas. */
export function createPgScheduleRepo(ctx: PgContext): ScheduleRepo {
  return {
    async list() {
      const found = await ctx.db().query<{ schedule: Schedule }>('SELECT schedule FROM schedules ORDER BY created_at, id');
      return found.rows.map((r) => r.schedule);
    },
    async get(id) {
      const found = await ctx.db().query<{ schedule: Schedule }>('SELECT schedule FROM schedules WHERE id = $1', [id]);
      return found.rows[0]?.schedule;
    },
    async create(schedule) {
      const db = ctx.db();
      const row = checkNewSchedule(schedule);
      const inserted = await db.query('INSERT INTO schedules (id, next_run_at, created_at, schedule) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING', [
        row.id,
        timeParam(row.nextRunAt),
        timeParam(row.createdAt),
        jsonParam(row),
      ]);
      if (inserted.rowCount === 0) throw new ConflictError(`schedule ${row.id} already exists`);
      return asStored(row);
    },
    async update(id, patch, expectNextRunAt) {
      return ctx.db().transaction(async (tx) => {
        const found = await tx.query<{ schedule: Schedule }>('SELECT schedule FROM schedules WHERE id = $1 FOR UPDATE', [id]);
        const current = found.rows[0]?.schedule;
        if (!current) return undefined;
        const next = applySchedulePatch(current, patch, expectNextRunAt, ctx.clock());
        await tx.query('UPDATE schedules SET next_run_at = $2, schedule = $3 WHERE id = $1', [id, timeParam(next.nextRunAt), jsonParam(next)]);
        return asStored(next);
      });
    },
    async delete(id) {
      return (await ctx.db().query('DELETE FROM schedules WHERE id = $1', [id])).rowCount > 0;
    },
  };
}
