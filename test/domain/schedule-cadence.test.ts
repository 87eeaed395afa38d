import { describe, expect, it } from 'vitest';
import { checkInput } from '../../src/domain/check-input.js';
import { describeCadence, instantOfWallClock, isKnownTimeZone, nextFireAfter } from '../../src/domain/schedule-cadence.js';
import { newScheduleSchema, schedulePatchSchema } from '../../src/domain/schedule-input.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('nextFireAfter: daily', () => {
  it('fires later today when the time is still ahead, else tomorrow (UTC by default)', () => {
    const cadence = { kind: 'daily' as const, at: '09:30' };
    expect(iso(nextFireAfter(cadence, at('2026-03-10T08:00:00Z')))).toBe('2026-03-10T09:30:00.000Z');
    expect(iso(nextFireAfter(cadence, at('2026-03-10T09:30:00Z')))).toBe('2026-03-11T09:30:00.000Z');
    expect(iso(nextFireAfter(cadence, at('2026-12-31T23:59:00Z')))).toBe('2027-01-01T09:30:00.000Z');
  });

  it('reads the time on the zone’s own clock, whichever side of UTC midnight it is', () => {
    // 09:00 in Tokyo (UTC+9) is 00:00 UTC; 20:00 in Los Angeles (UTC-8 in winter) is 04:00 UTC the next day.
    expect(iso(nextFireAfter({ kind: 'daily', at: '09:00', timeZone: 'Asia/Tokyo' }, at('2026-01-15T01:00:00Z')))).toBe('2026-01-16T00:00:00.000Z');
    expect(iso(nextFireAfter({ kind: 'daily', at: '20:00', timeZone: 'America/Los_Angeles' }, at('2026-01-15T05:00:00Z')))).toBe('2026-01-16T04:00:00.000Z');
    // Kathmandu is UTC+5:45: 05:45 there is midnight UTC.
    expect(iso(nextFireAfter({ kind: 'daily', at: '05:45', timeZone: 'Asia/Kathmandu' }, at('2026-01-15T00:00:00Z')))).toBe('2026-01-16T00:00:00.000Z');
  });

  it('keeps the wall-clock time across a DST change (Europe/Berlin: UTC+1 in winter, UTC+2 in summer)', () => {
    const cadence = { kind: 'daily' as const, at: '09:00', timeZone: 'Europe/Berlin' };
    // Spring forward on 2026-03-29.
    expect(iso(nextFireAfter(cadence, at('2026-03-28T08:00:00Z')))).toBe('2026-03-29T07:00:00.000Z');
    expect(iso(nextFireAfter(cadence, at('2026-03-27T09:00:00Z')))).toBe('2026-03-28T08:00:00.000Z');
    // Fall back on 2026-10-25.
    expect(iso(nextFireAfter(cadence, at('2026-10-24T08:00:00Z')))).toBe('2026-10-25T08:00:00.000Z');
  });

  it('fires a time the spring-forward night skips one jump later, and a time that happens twice at its first instant', () => {
    // 02:30 does not exist in Berlin on 2026-03-29 (02:00 → 03:00): it fires at 03:30 CEST = 01:30 UTC.
    expect(iso(nextFireAfter({ kind: 'daily', at: '02:30', timeZone: 'Europe/Berlin' }, at('2026-03-28T12:00:00Z')))).toBe('2026-03-29T01:30:00.000Z');
    // 02:30 happens twice on 2026-10-25 (03:00 → 02:00): the first one, still CEST = 00:30 UTC.
    expect(iso(nextFireAfter({ kind: 'daily', at: '02:30', timeZone: 'Europe/Berlin' }, at('2026-10-24T12:00:00Z')))).toBe('2026-10-25T00:30:00.000Z');
    // New York springs forward on 2026-03-08 at 02:00.
    expect(iso(nextFireAfter({ kind: 'daily', at: '02:15', timeZone: 'America/New_York' }, at('2026-03-07T12:00:00Z')))).toBe('2026-03-08T07:15:00.000Z');
    expect(iso(instantOfWallClock(Date.UTC(2026, 6, 1, 12, 0), 'America/New_York'))).toBe('2026-07-01T16:00:00.000Z');
  });

  it('fires once after downtime, not once per missed day', () => {
    const cadence = { kind: 'daily' as const, at: '09:00' };
    // Down from the 1st to the 5th at 14:00: the next fire after "now" is the 6th; the ticker fires the missed one once now.
    expect(iso(nextFireAfter(cadence, at('2026-05-05T14:00:00Z')))).toBe('2026-05-06T09:00:00.000Z');
  });
});

describe('nextFireAfter: weekly', () => {
  it('finds the next listed weekday, wrapping past Sunday', () => {
    const cadence = { kind: 'weekly' as const, days: ['mon' as const, 'thu' as const], at: '07:00' };
    // 2026-03-12 is a Thursday.
    expect(iso(nextFireAfter(cadence, at('2026-03-12T06:00:00Z')))).toBe('2026-03-12T07:00:00.000Z');
    expect(iso(nextFireAfter(cadence, at('2026-03-12T07:00:00Z')))).toBe('2026-03-16T07:00:00.000Z');
    expect(iso(nextFireAfter({ ...cadence, days: ['sun'] }, at('2026-03-15T08:00:00Z')))).toBe('2026-03-22T07:00:00.000Z');
    expect(iso(nextFireAfter({ ...cadence, days: ['mon'] }, at('2026-03-15T23:00:00Z')))).toBe('2026-03-16T07:00:00.000Z');
  });

  it('judges the weekday on the zone’s clock, not UTC’s', () => {
    // Sunday 23:30 UTC is already Monday 08:30 in Tokyo: Monday 09:00 Tokyo is half an hour away.
    const cadence = { kind: 'weekly' as const, days: ['mon' as const], at: '09:00', timeZone: 'Asia/Tokyo' };
    expect(iso(nextFireAfter(cadence, at('2026-03-15T23:30:00Z')))).toBe('2026-03-16T00:00:00.000Z');
  });
});

describe('nextFireAfter: interval and once', () => {
  it('counts an interval from the fire it is asked after', () => {
    expect(iso(nextFireAfter({ kind: 'interval', everyMinutes: 90 }, at('2026-03-12T06:00:00Z')))).toBe('2026-03-12T07:30:00.000Z');
  });

  it('fires a one-off at its instant and never again', () => {
    const cadence = { kind: 'once' as const, at: '2026-04-01T10:00:00+02:00' };
    expect(iso(nextFireAfter(cadence, at('2026-03-12T06:00:00Z')))).toBe('2026-04-01T08:00:00.000Z');
    expect(nextFireAfter(cadence, at('2026-04-01T08:00:00Z'))).toBeUndefined();
  });

  it('describes each cadence for pages', () => {
    expect(describeCadence({ kind: 'weekly', days: ['mon', 'fri'], at: '07:00', timeZone: 'Europe/Berlin' })).toBe('weekly on mon, fri at 07:00 Europe/Berlin');
    expect(describeCadence({ kind: 'interval', everyMinutes: 60 })).toBe('every 60 minutes');
  });
});

describe('schedule input', () => {
  const good = { name: 'Deps', mapping: 'WEB', instructions: 'Update deps', runAs: 'ops@example.com', cadence: { kind: 'daily', at: '09:00', timeZone: 'Europe/Berlin' } };

  it('accepts a whole schedule and orders weekdays', () => {
    const checked = checkInput(newScheduleSchema, { ...good, cadence: { kind: 'weekly', days: ['fri', 'mon'], at: '07:00' } });
    expect(checked).toMatchObject({ ok: true, data: { cadence: { days: ['mon', 'fri'] } } });
    expect(isKnownTimeZone('Europe/Berlin')).toBe(true);
    expect(isKnownTimeZone('Mars/Olympus')).toBe(false);
  });

  it.each([
    [{ ...good, cadence: { kind: 'daily', at: '9am' } }, 'cadence.at', 'HH:MM'],
    [{ ...good, cadence: { kind: 'daily', at: '09:00', timeZone: 'Mars/Olympus' } }, 'cadence.timeZone', 'Europe/Berlin'],
    [{ ...good, cadence: { kind: 'interval', everyMinutes: 5 } }, 'cadence.everyMinutes', 'at least 15'],
    [{ ...good, cadence: { kind: 'weekly', days: [], at: '07:00' } }, 'cadence.days', 'at least one weekday'],
    [{ ...good, cadence: { kind: 'weekly', days: ['someday'], at: '07:00' } }, 'cadence.days.0', 'mon, tue'],
    [{ ...good, cadence: { kind: 'once', at: 'tomorrow' } }, 'cadence.at', 'ISO 8601'],
    [{ ...good, cadence: { kind: 'hourly' } }, 'cadence.kind', 'daily, weekly, interval, once'],
    [{ ...good, runAs: 'ops' }, 'runAs', 'email'],
    [{ ...good, name: '' }, 'name', 'must not be empty'],
    [{ name: 'x', mapping: 'WEB', cadence: good.cadence, runAs: 'a@b.c' }, 'instructions', 'is required'],
  ])('refuses %j naming the field', (input, field, words) => {
    const checked = checkInput(newScheduleSchema, input);
    expect(checked.ok).toBe(false);
    if (checked.ok) return;
    expect(checked.problems[0]?.field).toBe(field);
    expect(checked.problems[0]?.message).toContain(words);
  });

  it('wants a patch to change something', () => {
    expect(checkInput(schedulePatchSchema, { enabled: false })).toMatchObject({ ok: true, data: { enabled: false } });
    const empty = checkInput(schedulePatchSchema, {});
    expect(empty.ok).toBe(false);
  });
});
