import { ValidationError } from '../../errors/index.js';
import type { TimeInput } from '../store.js';

export function toMs(value: TimeInput, field: string): number {
  const ms = typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(ms)) throw new ValidationError(`${field} is not a valid time`, field);
  return ms;
}

export function toIso(ms: number): string {
  return new Date(ms).toISOString();
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}

/** Cursors are opaque to callers but must survive a round trip through a URL. */
export function encodeCursor(parts: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(parts), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): unknown[] {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed)) return parsed;
  } catch {
    // fall through to the validation error below: a mangled cursor is caller input
  }
  throw new ValidationError('cursor is not one this store issued', 'cursor');
}

export function clampLimit(limit: number | undefined, fallback: number, max: number): number {
  if (limit === undefined) return fallback;
  if (!Number.isInteger(limit) || limit < 1) throw new ValidationError('limit must be a positive integer', 'limit');
  return Math.min(limit, max);
}
