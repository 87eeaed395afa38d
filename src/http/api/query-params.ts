import { z } from 'zod';

/**
 * Query-string building blocks. Values arrive as text (a repeated parameter as
 * a list, which these reject), so each one is parsed and bounded here and a bad
 * one is a 400 naming the parameter.
 */

export const intParam = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

/** An ISO 8601 time or epoch milliseconds, as epoch milliseconds. */
export const timeParam = z
  .string()
  .trim()
  .refine((v) => !Number.isNaN(toEpochMs(v)), 'must be an ISO 8601 time (2025-01-31T12:00:00Z) or epoch milliseconds')
  .transform(toEpochMs);

/** `a,b,c` → a non-empty list of the allowed values (one issue on the parameter itself, not per index). */
/** `renamed`: old values and what replaced them, so an old name is told its new one. */
export const listParam = <T extends string>(allowed: readonly [T, ...T[]], renamed: Readonly<Record<string, string>> = {}) =>
  z.string().transform((v, ctx): T[] => {
    const parts = v.split(',').map((part) => part.trim()).filter((part) => part !== '');
    const unknown = parts.filter((part) => !(allowed as readonly string[]).includes(part));
    const old = unknown.find((part) => Object.hasOwn(renamed, part));
    if (old !== undefined) {
      ctx.addIssue({ code: 'custom', message: `${old} was renamed to ${renamed[old]}; use e.g. ${renamed[old]?.split(' or ')[0]}` });
      return z.NEVER;
    }
    if (parts.length === 0 || unknown.length > 0) {
      ctx.addIssue({ code: 'custom', message: `each value must be one of ${allowed.join(', ')}${unknown.length ? ` (got ${unknown.join(', ')})` : ''}` });
      return z.NEVER;
    }
    return parts as T[];
  });

/** One of `allowed`; an old name in `renamed` is told its new one. */
export const oneOfParam = <T extends string>(allowed: readonly [T, ...T[]], renamed: Readonly<Record<string, string>> = {}) =>
  z.string().transform((v, ctx): T => {
    const value = v.trim();
    if ((allowed as readonly string[]).includes(value)) return value as T;
    const replacement = Object.hasOwn(renamed, value) ? renamed[value] : undefined;
    ctx.addIssue({
      code: 'custom',
      message: replacement ? `${value} was renamed to ${replacement}; use e.g. ${replacement.split(' or ')[0]}` : `must be one of ${allowed.join(', ')}`,
    });
    return z.NEVER;
  });

export const textParam = (max = 200) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

export const cursorParam = z.string().trim().min(1, 'must not be empty').max(512, 'is not a cursor this API issued');

function toEpochMs(value: string): number {
  if (/^\d{1,16}$/.test(value)) return Number(value);
  // Date.parse accepts loose formats; only ISO-looking text is taken as a time.
  if (!/^\d{4}-\d{2}-\d{2}/.test(value)) return Number.NaN;
  return Date.parse(value);
}
