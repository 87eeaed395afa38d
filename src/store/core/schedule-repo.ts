import { ConflictError } from '../../errors/index.js';
import type { ScheduleRepo } from '../store.js';
import { clone } from './codec.js';
import { applySchedulePatch, checkNewSchedule } from './schedule-records.js';
import type { StoreContext } from './store-context.js';

/** Schedules in the hot document; the single writer makes the next-fire compare-and-set atomic. */
export function createScheduleRepo(ctx: StoreContext): ScheduleRepo {
  return {
    async list() {
      ctx.assertOpen();
      return Object.values(ctx.doc().schedules ?? {})
        .sort((a, b) => (a.createdAt === b.createdAt ? (a.id < b.id ? -1 : 1) : a.createdAt < b.createdAt ? -1 : 1))
        .map((s) => clone(s));
    },
    async get(id) {
      ctx.assertOpen();
      const found = ctx.doc().schedules?.[id];
      return found ? clone(found) : undefined;
    },
    async create(schedule) {
      ctx.assertOpen();
      const copy = checkNewSchedule(schedule);
      await ctx.queue.submit((tx) => {
        if (tx.doc.schedules?.[copy.id]) throw new ConflictError(`schedule ${copy.id} already exists`);
        tx.doc.schedules = { ...tx.doc.schedules, [copy.id]: copy };
      });
      return clone(copy);
    },
    async update(id, patch, expectNextRunAt) {
      ctx.assertOpen();
      const updated = await ctx.queue.submit((tx) => {
        const current = tx.doc.schedules?.[id];
        if (!current) return undefined;
        const next = applySchedulePatch(current, patch, expectNextRunAt, ctx.clock());
        tx.doc.schedules = { ...tx.doc.schedules, [id]: next };
        return next;
      });
      return updated ? clone(updated) : undefined;
    },
    async delete(id) {
      ctx.assertOpen();
      return ctx.queue.submit((tx) => {
        if (!tx.doc.schedules?.[id]) return false;
        const rest = { ...tx.doc.schedules };
        delete rest[id];
        tx.doc.schedules = rest;
        return true;
      });
    },
  };
}
