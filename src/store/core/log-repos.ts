import { ValidationError } from '../../errors/index.js';
import type { AuditEvent } from '../../domain/audit-event.js';
import type { ReaperAction } from '../../domain/reaper-action.js';
import type { AuditLog, ReaperLog, ReaperSummary } from '../store.js';
import type { AppendLogEntry } from './append-log-index.js';
import { clampLimit, clone, decodeCursor, encodeCursor, toMs } from './codec.js';
import type { StoreContext } from './store-context.js';

export function createReaperLog(ctx: StoreContext): ReaperLog {
  return {
    async append(action) {
      ctx.assertOpen();
      const atMs = toMs(action.at, 'at');
      const record = clone(action);
      await ctx.queue.submit((tx) =>
        tx.appendHistory('reaper', record, (pointer) =>
          ctx.reaperIndex().push({ atMs, keys: { rule: record.rule, mode: record.mode }, pointer }),
        ),
      );
    },
    async listRecent(limit) {
      ctx.assertOpen();
      const n = clampLimit(limit, 50, 1000);
      const entries = ctx.reaperIndex().entries.slice(-n).reverse();
      return (await ctx.history.read(
        'reaper',
        entries.map((e) => e.pointer),
      )) as ReaperAction[];
    },
    async summary(since) {
      ctx.assertOpen();
      const sinceMs = toMs(since, 'since');
      const out: ReaperSummary = { total: 0, byRule: {}, destroyed: 0, dryRun: 0 };
      for (const e of ctx.reaperIndex().entries) {
        if (e.atMs < sinceMs) continue;
        const rule = e.keys['rule'] ?? '';
        out.total++;
        out.byRule[rule] = (out.byRule[rule] ?? 0) + 1;
        if (e.keys['mode'] === 'destroyed') out.destroyed++;
        else out.dryRun++;
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
      await ctx.queue.submit((tx) =>
        tx.appendHistory('audit', record, (pointer) =>
          ctx.auditIndex().push({ atMs, keys: { actor: record.actor, action: record.action }, pointer }),
        ),
      );
    },
    async list(query = {}) {
      ctx.assertOpen();
      const limit = clampLimit(query.limit, 50, 500);
      const entries = ctx.auditIndex().entries;
      let start = entries.length - 1;
      if (query.cursor) {
        const [seq] = decodeCursor(query.cursor);
        if (typeof seq !== 'number') throw new ValidationError('bad cursor', 'cursor');
        start = Math.min(start, seq - 1);
      }
      const picked: { seq: number; entry: AppendLogEntry }[] = [];
      for (let i = start; i >= 0 && picked.length <= limit; i--) {
        const e = entries[i]!;
        if (query.actor !== undefined && e.keys['actor'] !== query.actor) continue;
        if (query.action !== undefined && e.keys['action'] !== query.action) continue;
        picked.push({ seq: i, entry: e });
      }
      const page = picked.slice(0, limit);
      const items = (await ctx.history.read(
        'audit',
        page.map((p) => p.entry.pointer),
      )) as AuditEvent[];
      const last = page[page.length - 1];
      return picked.length > limit && last ? { items, nextCursor: encodeCursor([last.seq]) } : { items };
    },
  };
}
