import type { Schedule } from '../../../domain/schedule.js';
import { WEEKDAYS } from '../../../domain/schedule.js';
import { describeCadence } from '../../../domain/schedule-cadence.js';
import { formatTime, timeAgo, type Tone } from '../format.js';
import type { PanelContext } from './panel-context.js';

export interface ScheduleRow {
  id: string;
  name: string;
  mappingKey: string;
  cadence: string;
  runAs: string;
  enabled: boolean;
  nextRunText: string;
  lastOutcome?: { kind: string; tone: Tone; reason: string; ago: string };
  lastIssue?: string;
  lastRunId?: string;
  deleteConfirm: string;
}

export interface SchedulesView {
  available: boolean;
  rows: ScheduleRow[];
  mappings: string[];
  weekdays: readonly string[];
  empty: { title: string; next: string };
}

const OUTCOME_TONES: Record<string, Tone> = { started: 'ok', deferred: 'warn', failed: 'bad' };

export function toScheduleRow(s: Schedule, now: number): ScheduleRow {
  return {
    id: s.id,
    name: s.name,
    mappingKey: s.mappingKey,
    cadence: describeCadence(s.cadence),
    runAs: s.runAs,
    enabled: s.enabled,
    nextRunText: !s.enabled ? 'disabled' : s.nextRunAt ? formatTime(s.nextRunAt) : 'never again',
    ...(s.lastOutcome
      ? { lastOutcome: { kind: s.lastOutcome.kind, tone: OUTCOME_TONES[s.lastOutcome.kind] ?? 'muted', reason: s.lastOutcome.reason ?? '', ago: timeAgo(s.lastOutcome.at, now) } }
      : {}),
    ...(s.lastIssue ? { lastIssue: s.lastIssue } : {}),
    ...(s.lastRunId ? { lastRunId: s.lastRunId } : {}),
    deleteConfirm: `Delete the schedule "${s.name}"? The tickets and runs it made stay.`,
  };
}

export async function buildSchedules(pc: PanelContext): Promise<SchedulesView> {
  const commands = pc.deps.schedules;
  const [schedules, mappings] = await Promise.all([commands ? commands.list() : Promise.resolve([]), pc.deps.store.mappings.list()]);
  return {
    available: commands !== undefined,
    rows: schedules.map((s) => toScheduleRow(s, pc.now)),
    mappings: mappings.map((m) => m.teamKey),
    weekdays: WEEKDAYS,
    empty: { title: 'No schedules yet.', next: 'Create one below: at each fire it opens a ticket in the project and starts its run.' },
  };
}
