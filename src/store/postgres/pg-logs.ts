import { ValidationError } from '../../errors/index.js';
import type { AuditEvent } from '../../domain/audit-event.js';
import type { ReaperAction } from '../../domain/reaper-action.js';
import { clampLimit, decodeCursor, encodeCursor, toIso, toMs } from '../core/codec.js';
import type { AuditLog, ReaperLog, ReaperSummary } from '../store.js';
import { jsonParam, type PgContext } from './pg-context.js';

export function createPgReaperLog(ctx: PgContext): ReaperLog {
  return {
    async append(action) {
      const db = ctx.db();
      const at = toIso(toMs(action.at, 'at'));
      await db.query('INSERT INTO reaper_actions (at, rule, mode, action) VALUES ($1, $2, $3, $4)', [at, action.rule, action.mode, jsonParam(action)]);
    },
    async listRecent(limit) {
      const db = ctx.db();
      const n = clampLimit(limit, 50, 1000);
      const found = await db.query<{ action: ReaperAction }>('SELECT action FROM reaper_actions ORDER BY seq DESC LIMIT $1', [n]);
      return found.rows.map((r) => r.action);
    },
    async summary(since) {
      const db = ctx.db();
      const found = await db.query<{ rule: string; mode: string; n: string }>(
        'SELECT rule, mode, count(*) AS n FROM reaper_actions WHERE at >= $1 GROUP BY rule, mode',
        [toIso(toMs(since, 'since'))],
      );
      const out: ReaperSummary = { total: 0, byRule: {}, destroyed: 0, dryRun: 0 };
      for (const row of found.rows) {
        const n = Number(row.n);
        out.total += n;
        out.byRule[row.rule] = (out.byRule[row.rule] ?? 0) + n;
        if (row.mode === 'destroyed') out.destroyed += n;
        else out.dryRun += n;
      }
      return out;
    },
  };
}

/** Audit events are numbered in insertion order (`seq`), which list cursors carry. */
export function createPgAuditLog(ctx: PgContext): AuditLog {
  return {
    async append(event) {
      const db = ctx.db();
      const at = toIso(toMs(event.at, 'at'));
      await db.query('INSERT INTO audit_events (at, actor, action, event) VALUES ($1, $2, $3, $4)', [at, event.actor, event.action, jsonParam(event)]);
    },
    async list(query = {}) {
      const db = ctx.db();
      const limit = clampLimit(query.limit, 50, 500);
      const values: unknown[] = [];
      const where: string[] = [];
      if (query.cursor) {
        const [seq] = decodeCursor(query.cursor);
        if (typeof seq !== 'number' || !Number.isSafeInteger(seq)) throw new ValidationError('bad cursor', 'cursor');
        values.push(seq);
        where.push(`seq < $${values.length}`);
      }
      if (query.actor !== undefined) {
        values.push(query.actor);
        where.push(`actor = $${values.length}`);
      }
      if (query.action !== undefined) {
        values.push(query.action);
        where.push(`action = $${values.length}`);
      }
      values.push(limit + 1);
      const found = await db.query<{ seq: string; event: AuditEvent }>(
        `SELECT seq, event FROM audit_events ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT $${values.length}`,
        values,
      );
      const page = found.rows.slice(0, limit);
      const items = page.map((r) => r.event);
      const last = page[page.length - 1];
      return found.rows.length > limit && last ? { items, nextCursor: encodeCursor([Number(last.seq)]) } : { items };
    },
  };
}
