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

/** PostgreSQL text and jsonb cannot hold U+0000, which runner output can carry: it is kept as U+FFFD. */
export function storableText(text: string): string {
  return text.includes('\0') ? text.replaceAll('\0', '\uFFFD') : text;
}

/** jsonb parameters go as JSON text (`pg` would turn a JS array into a PostgreSQL array), NULs replaced. */
export function jsonParam(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? storableText(v) : v));
}

/** The value as the database will hand it back, for answers that must equal a later read. */
export function asStored<T>(value: T): T {
  return JSON.parse(jsonParam(value)) as T;
}

/** An ISO time for a timestamptz column, or null when the text is not a time. */
export function timeParam(value: string | undefined): string | null {
  if (value === undefined) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}
