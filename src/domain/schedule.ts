/**
 * A scheduled run: at each fire the orchestrator creates a ticket in the
 * mapping's tracker (title: the name and the date; description: the
 * instructions) and starts its run with trigger source `schedule`.
 * Timestamps are ISO 8601 strings so the record is its own JSON form.
 */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** The shortest interval a schedule may repeat at: each fire opens a ticket. */
export const MIN_INTERVAL_MINUTES = 15;

export type ScheduleCadence =
  /** Every day at `at` (HH:MM) in `timeZone` (an IANA name; UTC when unset). */
  | { kind: 'daily'; at: string; timeZone?: string }
  /** On the given weekdays at `at` (HH:MM) in `timeZone`. */
  | { kind: 'weekly'; days: Weekday[]; at: string; timeZone?: string }
  /** Every `everyMinutes` minutes, counted from the previous fire. */
  | { kind: 'interval'; everyMinutes: number }
  /** Once, at the instant `at` (ISO 8601). */
  | { kind: 'once'; at: string };

export type ScheduleOutcomeKind = 'started' | 'deferred' | 'failed';

export interface ScheduleOutcome {
  kind: ScheduleOutcomeKind;
  at: string;
  /** Why it deferred or failed; what it started otherwise. */
  reason?: string;
}

export interface Schedule {
  id: string;
  name: string;
  mappingKey: string;
  cadence: ScheduleCadence;
  /** What the agent should do: the description of every ticket the schedule opens. */
  instructions: string;
  /** The owner its runs are recorded under (an email). */
  runAs: string;
  enabled: boolean;
  /** When it fires next; absent once a one-off schedule has fired (or its time passed unfired). */
  nextRunAt?: string;
  lastRunAt?: string;
  lastRunId?: string;
  /** The identifier of the last ticket it opened (e.g. `WEB-12`). */
  lastIssue?: string;
  /** The tracker id of that ticket: its live run is what defers the next fire. */
  lastIssueId?: string;
  lastOutcome?: ScheduleOutcome;
  createdAt: string;
  updatedAt: string;
}
