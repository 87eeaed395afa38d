import type { ScheduleCadence, Weekday } from './schedule.js';
import { WEEKDAYS } from './schedule.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let found = formatters.get(timeZone);
  if (!found) {
    found = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      weekday: 'short',
    });
    formatters.set(timeZone, found);
  }
  return found;
}

/** True for an IANA time zone name this runtime knows (`Europe/Berlin`, `UTC`). */
export function isKnownTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    // Intl answers an unknown zone with a RangeError; that is the whole check.
    return false;
  }
}

/** True for a wall-clock time written HH:MM (00:00–23:59). */
export function isWallTime(value: string): boolean {
  return HH_MM.test(value);
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  weekday: Weekday;
}

/** The wall clock in `timeZone` at instant `ms` (to the minute). */
function wallClockAt(ms: number, timeZone: string): WallClock {
  const parts: Record<string, string> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(ms))) parts[part.type] = part.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    weekday: (parts.weekday ?? 'Mon').slice(0, 3).toLowerCase() as Weekday,
  };
}

/** The wall clock written as if it were UTC, in ms: the same number for the same reading anywhere. */
function wallAsUtc(w: Pick<WallClock, 'year' | 'month' | 'day' | 'hour' | 'minute'>): number {
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute);
}

/** How far `timeZone` is ahead of UTC at instant `ms`. */
function offsetAt(ms: number, timeZone: string): number {
  const floored = Math.floor(ms / MINUTE) * MINUTE;
  return wallAsUtc(wallClockAt(floored, timeZone)) - floored;
}

/**
 * The instant the clocks of `timeZone` read `wall`. A reading that happens
 * twice (clocks going back) is its first instant; one that never happens
 * (clocks going forward) is moved forward by the jump, so 02:30 on a spring-
 * forward night fires at 03:30: the fire is late, never lost.
 */
export function instantOfWallClock(wall: number, timeZone: string): number {
  const before = offsetAt(wall - DAY, timeZone);
  const after = offsetAt(wall + DAY, timeZone);
  const readings = [...new Set([before, after])]
    .map((offset) => wall - offset)
    .filter((instant) => wallAsUtc(wallClockAt(instant, timeZone)) === wall);
  if (readings.length > 0) return Math.min(...readings);
  return wall - before;
}

function parseWallTime(at: string): { hour: number; minute: number } {
  const match = HH_MM.exec(at);
  if (!match) throw new RangeError(`not an HH:MM time: ${at}`);
  return { hour: Number(match[1]), minute: Number(match[2]) };
}

/** The first instant after `afterMs` at `at` in `timeZone` on a day `dayFits` accepts. */
function nextWallClockFire(afterMs: number, at: string, timeZone: string, dayFits: (day: Weekday) => boolean): number | undefined {
  const { hour, minute } = parseWallTime(at);
  const today = wallClockAt(afterMs, timeZone);
  // Eight days reach every weekday once more, whatever today is.
  for (let i = 0; i <= 8; i++) {
    const date = new Date(Date.UTC(today.year, today.month - 1, today.day + i));
    const weekday = WEEKDAYS[(date.getUTCDay() + 6) % 7] as Weekday;
    if (!dayFits(weekday)) continue;
    const instant = instantOfWallClock(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate(), hour, minute), timeZone);
    if (instant > afterMs) return instant;
  }
  return undefined;
}

/**
 * When a cadence fires next, strictly after `afterMs`: the one computation
 * behind a new schedule's first fire and every fire after. The ticker asks
 * it with the fire's own time, so fires missed while nothing ran collapse
 * into the one that happens now (a schedule down for three days fires once,
 * not three times). Undefined when it never fires again (a one-off that has
 * passed).
 */
export function nextFireAfter(cadence: ScheduleCadence, afterMs: number): number | undefined {
  switch (cadence.kind) {
    case 'daily':
      return nextWallClockFire(afterMs, cadence.at, cadence.timeZone ?? 'UTC', () => true);
    case 'weekly': {
      const days = new Set(cadence.days);
      if (days.size === 0) return undefined;
      return nextWallClockFire(afterMs, cadence.at, cadence.timeZone ?? 'UTC', (day) => days.has(day));
    }
    case 'interval':
      return afterMs + cadence.everyMinutes * MINUTE;
    case 'once': {
      const at = Date.parse(cadence.at);
      return Number.isFinite(at) && at > afterMs ? at : undefined;
    }
  }
}

/** "daily at 09:00 Europe/Berlin", for pages and audit entries. */
export function describeCadence(cadence: ScheduleCadence): string {
  switch (cadence.kind) {
    case 'daily':
      return `daily at ${cadence.at} ${cadence.timeZone ?? 'UTC'}`;
    case 'weekly':
      return `weekly on ${cadence.days.join(', ')} at ${cadence.at} ${cadence.timeZone ?? 'UTC'}`;
    case 'interval':
      return `every ${cadence.everyMinutes} minutes`;
    case 'once':
      return `once at ${cadence.at}`;
  }
}
