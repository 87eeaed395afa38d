import { z } from 'zod';
import { MIN_INTERVAL_MINUTES, WEEKDAYS } from './schedule.js';
import { isKnownTimeZone, isWallTime } from './schedule-cadence.js';

const wallTime = z
  .string({ error: 'cadence.at is required: the time of day, HH:MM, e.g. "09:30"' })
  .refine(isWallTime, 'cadence.at must be a time of day written HH:MM (00:00–23:59), e.g. "09:30"');

const timeZone = z
  .string({ error: 'cadence.timeZone must be an IANA time zone name, e.g. "Europe/Berlin"' })
  .refine(isKnownTimeZone, 'cadence.timeZone must be an IANA time zone name this server knows, e.g. "Europe/Berlin" or "UTC"')
  .optional();

export const cadenceSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('daily'), at: wallTime, timeZone }),
    z.strictObject({
      kind: z.literal('weekly'),
      days: z
        .array(z.enum(WEEKDAYS, { error: `cadence.days entries must be weekdays (${WEEKDAYS.join(', ')}), e.g. ["mon", "thu"]` }), {
          error: 'cadence.days is required: the weekdays it fires on, e.g. ["mon", "thu"]',
        })
        .min(1, 'cadence.days must name at least one weekday, e.g. ["mon"]')
        .transform((days) => WEEKDAYS.filter((d) => days.includes(d))),
      at: wallTime,
      timeZone,
    }),
    z.strictObject({
      kind: z.literal('interval'),
      everyMinutes: z
        .number({ error: `cadence.everyMinutes is required: minutes between fires, at least ${MIN_INTERVAL_MINUTES}, e.g. 60` })
        .int(`cadence.everyMinutes must be a whole number of minutes, e.g. 60`)
        .min(MIN_INTERVAL_MINUTES, `cadence.everyMinutes must be at least ${MIN_INTERVAL_MINUTES} (each fire opens a ticket), e.g. 60`)
        .max(525_600, 'cadence.everyMinutes must be at most a year (525600), e.g. 1440'),
    }),
    z.strictObject({
      kind: z.literal('once'),
      at: z.iso.datetime({ offset: true, error: 'cadence.at must be an ISO 8601 instant with a zone, e.g. "2026-12-24T09:00:00Z"' }),
    }),
  ],
  { error: 'cadence.kind must be one of daily, weekly, interval, once, e.g. {"kind": "daily", "at": "09:00"}' },
);

const name = z
  .string({ error: 'name is required: what the schedule does, e.g. "Dependency updates"' })
  .trim()
  .min(1, 'name must not be empty, e.g. "Dependency updates"')
  .max(120, 'name must be at most 120 characters');

const instructions = z
  .string({ error: 'instructions is required: what the agent should do, e.g. "Update the npm dependencies and fix what breaks"' })
  .trim()
  .min(1, 'instructions must not be empty, e.g. "Update the npm dependencies"')
  .max(20_000, 'instructions must be at most 20000 characters');

const runAs = z
  .string({ error: 'runAs is required: the owner its runs are recorded under, e.g. "ops@example.com"' })
  .trim()
  .regex(/^[^\s@<>"]+@[^\s@<>"]+$/, 'runAs must be an email address, e.g. "ops@example.com"')
  .max(254, 'runAs must be at most 254 characters');

const mapping = z
  .string({ error: 'mapping is required: the project key the schedule runs in, e.g. "WEB"' })
  .min(1, 'mapping must not be empty, e.g. "WEB"');

const enabled = z.boolean({ error: 'enabled must be true or false' });

/** `POST /api/schedules` and the panel's create form. */
export const newScheduleSchema = z.strictObject({ name, mapping, cadence: cadenceSchema, instructions, runAs, enabled: enabled.optional() });

/** `PATCH /api/schedules/:id`: any of the fields; `{"enabled": false}` disables. */
export const schedulePatchSchema = z
  .strictObject({ name, mapping, cadence: cadenceSchema, instructions, runAs, enabled })
  .partial()
  .refine((patch) => Object.keys(patch).length > 0, 'body must change at least one of name, mapping, cadence, instructions, runAs, enabled, e.g. {"enabled": false}');

export type NewScheduleInput = z.output<typeof newScheduleSchema>;
export type SchedulePatchInput = z.output<typeof schedulePatchSchema>;
