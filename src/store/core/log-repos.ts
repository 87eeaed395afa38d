import { ValidationError } from '../../errors/index.js';
import type { AuditEvent } from '../../domain/audit-event.js';
import type { ReaperAction } from '../../domain/reaper-action.js';
import type { AuditLog, ReaperLog, ReaperSummary } from '../store.js';
import { clampLimit, clone, decodeCursor, encodeCursor, toMs } from './codec.js';
import type { LogCatalog, LogEntry, LogKeyFilter } from './log-catalog.js';
import type { StoreContext } from './store-context.js';

/** The first `limit + 1` matches from `startSeq` down: one more than a page says whether another follows. */
async function pick(catalog: LogCatalog, startSeq: number, filter: LogKeyFilter, limit: number): Promise<{ seq: number; entry: LogEntry }[]> {
  const picked: { seq: number; entry: LogEntry }[] = [];
  for await (const item of catalog.descending(startSeq, filter)) {
    picked.push(item);
    if (picked.length > limit) break;
  }
  return picked;
}

export function createReaperLog(ctx: StoreContext): ReaperLog {
  return {
    async append(action) {
      ctx.assertOpen();
      const atMs = toMs(action.at, 'at');
      const record = clone(action);
      await ctx.queue.submit((tx) => tx.appendHistory('reaper', record, (pointer) => ctx.reaperLog.add({ atMs, keys: [record.rule, record.mode], pointer })));
    },
    async listRecent(limit) {
      ctx.assertOpen();
      const n = clampLimit(limit, 50, 1000);
      const picked = (await pick(ctx.reaperLog, ctx.reaperLog.size - 1, [undefined, undefined], n)).slice(0, n);
      return (await ctx.history.read('reaper', picked.map((p) => p.entry.pointer))) as ReaperAction[];
    },
    async summary(since) {
      ctx.assertOpen();
      const out: ReaperSummary = { total: 0, byRule: {}, destroyed: 0, dryRun: 0 };
      for (const [rule, mode, n] of await ctx.reaperLog.tallySince(toMs(since, 'since'))) {
        out.total += n;
        out.byRule[rule] = (out.byRule[rule] ?? 0) + n;
        if (mode === 'destroyed') out.destroyed += n;
        else out.dryRun += n;
      }
      return out;
    },
  };
}

export function createAuditLog(ctx: StoreContext): AuditLog {
  return {
    async append(event) {
      ctx.assertOpen();
      const atMs = toMs(event.at, 'at');
      const record = clone(event);
      await ctx.queue.submit((tx) => tx.appendHistory('audit', record, (pointer) => ctx.auditLog.add({ atMs, keys: [record.actor, record.action], pointer })));
    },
    async list(query = {}) {
      ctx.assertOpen();
      const limit = clampLimit(query.limit, 50, 500);
      let start = ctx.auditLog.size - 1;
      if (query.cursor) {
        const [seq] = decodeCursor(query.cursor);
        if (typeof seq !== 'number') throw new ValidationError('bad cursor', 'cursor');
        start = Math.min(start, seq - 1);
      }
      const picked = await pick(ctx.auditLog, start, [query.actor, query.action], limit);
      const page = picked.slice(0, limit);
      const items = (await ctx.history.read('audit', page.map((p) => p.entry.pointer))) as AuditEvent[];
      const last = page[page.length - 1];
      return picked.length > limit && last ? { items, nextCursor: encodeCursor([last.seq]) } : { items };
    },
  };
}
