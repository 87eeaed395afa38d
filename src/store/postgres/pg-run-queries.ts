import { ValidationError } from '../../errors/index.js';
import type { Run } from '../../domain/run.js';
import { clampLimit, decodeCursor, encodeCursor, toIso } from '../core/codec.js';
import { runFilterOf } from '../core/run-filter.js';
import type { Page, RunQuery, RunStats } from '../store.js';
import { LIVE_RUN } from './migrations.js';
import type { PgContext } from './pg-context.js';

const HOUR_MS = 3600_000;

/** A run query's filters as SQL over the indexed columns; the values are $1…$n. */
function whereOf(query: Omit<RunQuery, 'limit' | 'cursor'>, before?: { ms: number; id: string }): { where: string; values: unknown[] } {
  const filter = runFilterOf(query);
  const values: unknown[] = [];
  const where: string[] = [];
  const add = (sql: (...n: string[]) => string, ...vals: unknown[]) => {
    const names = vals.map((v) => {
      values.push(v);
      return `$${values.length}`;
    });
    where.push(sql(...names));
  };
  if (filter.statuses) add((n) => `status = ANY(${n}::text[])`, [...filter.statuses]);
  if (filter.mappingKey !== undefined) add((n) => `mapping_key = ${n}`, filter.mappingKey);
  if (filter.backend !== undefined) add((n) => `backend = ${n}`, filter.backend);
  if (filter.runnerMode !== undefined) add((n) => `runner_mode = ${n}`, filter.runnerMode);
  if (filter.triggerSource !== undefined) add((n) => `trigger_source = ${n}`, filter.triggerSource);
  if (filter.issueId !== undefined) add((n) => `issue_id = ${n}`, filter.issueId);
  if (filter.runtime !== undefined) add((n) => (filter.runtime === '' ? `runtime IS NULL` : `runtime = ${n}`), ...(filter.runtime === '' ? [] : [filter.runtime]));
  if (filter.owner !== undefined) add((n) => (filter.owner === '' ? `owner IS NULL` : `owner = ${n}`), ...(filter.owner === '' ? [] : [filter.owner]));
  if (Number.isFinite(filter.fromMs)) add((n) => `created_at >= ${n}`, toIso(filter.fromMs));
  if (Number.isFinite(filter.toMs)) add((n) => `created_at < ${n}`, toIso(filter.toMs));
  if (before) add((ms, id) => `(created_at, id) < (${ms}::timestamptz, ${id})`, toIso(before.ms), before.id);
  return { where: where.length > 0 ? `WHERE ${where.join(' AND ')}` : '', values };
}

/** Newest first by (createdAt, id), keyset paged: a page costs the same however deep it is. */
export async function listRuns(ctx: PgContext, query: RunQuery): Promise<Page<Run>> {
  const db = ctx.db();
  const limit = clampLimit(query.limit, 50, 500);
  let before: { ms: number; id: string } | undefined;
  if (query.cursor) {
    const [ms, id] = decodeCursor(query.cursor);
    if (typeof ms !== 'number' || !Number.isFinite(ms) || typeof id !== 'string') throw new ValidationError('bad cursor', 'cursor');
    before = { ms, id };
  }
  const { where, values } = whereOf(query, before);
  values.push(limit + 1);
  const found = await db.query<{ run: Run }>(`SELECT run FROM runs ${where} ORDER BY created_at DESC, id DESC LIMIT $${values.length}`, values);
  const items = found.rows.slice(0, limit).map((r) => r.run);
  const last = items[items.length - 1];
  return found.rows.length > limit && last ? { items, nextCursor: encodeCursor([Date.parse(last.createdAt), last.id]) } : { items };
}

export async function countRuns(ctx: PgContext, query: Omit<RunQuery, 'limit' | 'cursor'>): Promise<number> {
  const db = ctx.db();
  const { where, values } = whereOf(query);
  const found = await db.query<{ n: string }>(`SELECT count(*) AS n FROM runs ${where}`, values);
  return Number(found.rows[0]?.n ?? 0);
}

/** Hour buckets counted by the database (`date_bin` needs PostgreSQL 14 or later). */
export async function runStats(ctx: PgContext): Promise<RunStats> {
  const db = ctx.db();
  const now = ctx.clock();
  const start = Math.floor(now / HOUR_MS) * HOUR_MS - 23 * HOUR_MS;
  const range = [toIso(start), toIso(start + 24 * HOUR_MS)];
  const [created, failed, live] = await Promise.all([
    db.query<{ bucket: Date; n: string }>(
      `SELECT date_bin('1 hour', created_at, $1::timestamptz) AS bucket, count(*) AS n
       FROM runs WHERE created_at >= $1 AND created_at < $2 GROUP BY 1`,
      range,
    ),
    db.query<{ bucket: Date; n: string }>(
      `SELECT date_bin('1 hour', coalesce(finished_at, updated_at), $1::timestamptz) AS bucket, count(*) AS n
       FROM runs WHERE status = 'failed' AND coalesce(finished_at, updated_at) >= $1 AND coalesce(finished_at, updated_at) < $2 GROUP BY 1`,
      range,
    ),
    db.query<{ mapping_key: string; n: string }>(`SELECT mapping_key, count(*) AS n FROM runs WHERE ${LIVE_RUN} GROUP BY mapping_key`),
  ]);
  const hours = Array.from({ length: 24 }, (_, i) => ({ start: toIso(start + i * HOUR_MS), created: 0, failed: 0 }));
  const bucketOf = (at: Date) => hours[Math.round((at.getTime() - start) / HOUR_MS)];
  for (const row of created.rows) bucketOf(row.bucket)!.created += Number(row.n);
  for (const row of failed.rows) bucketOf(row.bucket)!.failed += Number(row.n);
  const inProgressByMapping: Record<string, number> = {};
  let activeCount = 0;
  for (const row of live.rows) {
    inProgressByMapping[row.mapping_key] = Number(row.n);
    activeCount += Number(row.n);
  }
  return {
    hours,
    createdLast24h: hours.reduce((s, h) => s + h.created, 0),
    failedLast24h: hours.reduce((s, h) => s + h.failed, 0),
    activeCount,
    inProgressByMapping,
  };
}
