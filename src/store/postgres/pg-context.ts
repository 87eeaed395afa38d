import type { Clock } from '../store.js';
import type { Db } from './pg-db.js';

/** What every repository of the PostgreSQL store shares. */
export interface PgContext {
  /** The open pool; throws StoreNotOpenError before `open()` and after `close()`. */
  db(): Db;
  readonly clock: Clock;
  readonly newId: () => string;
  readonly inboxRetentionMs: number;
}

/** jsonb parameters go as JSON text: `pg` would turn a JS array into a PostgreSQL array. */
export function jsonParam(value: unknown): string {
  return JSON.stringify(value);
}

/** An ISO time for a timestamptz column, or null when the text is not a time. */
export function timeParam(value: string | undefined): string | null {
  if (value === undefined) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}
