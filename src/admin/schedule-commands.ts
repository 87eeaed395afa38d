import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Schedule, ScheduleCadence } from '../domain/schedule.js';
import { describeCadence, nextFireAfter } from '../domain/schedule-cadence.js';
import { newScheduleSchema, schedulePatchSchema } from '../domain/schedule-input.js';
import type { TrackerKind } from '../domain/mapping.js';
import { NotFoundError, ValidationError } from '../errors/index.js';
import type { FireResult, ScheduleTicker } from '../orchestrator/schedule-ticker.js';
import type { SchedulePatch, Store } from '../store/store.js';
import type { IssueTracker } from '../trackers/issue-tracker.js';
import { validated } from './admin-commands.js';
import { recordAdminChange } from './record-admin-change.js';

export interface ScheduleCommandsDeps {
  store: Store;
  trackers: Partial<Record<TrackerKind, IssueTracker>>;
  clock: () => number;
  log: Logger;
  ticker: ScheduleTicker;
  newId?: () => string;
}

/**
 * Create, change, delete and fire schedules: `/api/schedules` and the
 * Schedules panel are two doors to these commands, so both validate, store
 * and audit alike. `actor` is the admin session id.
 */
export interface ScheduleCommands {
  list(): Promise<Schedule[]>;
  get(id: string): Promise<Schedule>;
  create(input: unknown, actor: string): Promise<Schedule>;
  update(id: string, patch: unknown, actor: string): Promise<Schedule>;
  delete(id: string, actor: string): Promise<Schedule>;
  fireNow(id: string, actor: string): Promise<FireResult>;
}

export function createScheduleCommands(deps: ScheduleCommandsDeps): ScheduleCommands {
  const { store, clock } = deps;
  const newId = deps.newId ?? (() => `sch-${randomUUID().slice(0, 8)}`);

  async function require(id: string): Promise<Schedule> {
    const found = await store.schedules.get(id);
    if (!found) throw new NotFoundError(`No schedule ${id}; GET /api/schedules lists them.`);
    return found;
  }

  /** The project must exist and its tracker must be able to open the schedule's tickets. */
  async function checkMapping(key: string): Promise<void> {
    const mappings = await store.mappings.list();
    const mapping = mappings.find((m) => m.teamKey === key);
    if (!mapping) throw new ValidationError(`mapping: there is no project ${key}; use one of ${mappings.map((m) => m.teamKey).join(', ') || '(none yet)'}`, 'mapping');
    if (!deps.trackers[mapping.trackerKind]?.createTicket) {
      throw new ValidationError(`mapping: project ${key} reads ${mapping.trackerKind} tickets, but ${mapping.trackerKind === 'jira' ? 'JIRA_HOST, JIRA_EMAIL and JIRA_API_TOKEN are' : 'LINEAR_API_KEY is'} not set, so no ticket can be opened there; configure it or choose another project`, 'mapping');
    }
  }

  /** When a cadence fires first from now; a one-off in the past is refused, it would never fire. */
  function firstFire(cadence: ScheduleCadence): string {
    const next = nextFireAfter(cadence, clock());
    if (next === undefined) throw new ValidationError(`cadence.at ${cadence.kind === 'once' ? cadence.at : ''} has passed; a one-off schedule needs a time in the future, e.g. "${new Date(clock() + 3_600_000).toISOString()}"`, 'cadence.at');
    return new Date(next).toISOString();
  }

  const view = (s: Schedule) => ({ name: s.name, mapping: s.mappingKey, cadence: describeCadence(s.cadence), runAs: s.runAs, enabled: s.enabled, nextRunAt: s.nextRunAt });

  return {
    list: () => store.schedules.list(),
    get: require,

    async create(input, actor) {
      const request = validated(newScheduleSchema, input);
      await checkMapping(request.mapping);
      const now = new Date(clock()).toISOString();
      const enabled = request.enabled ?? true;
      const schedule: Schedule = {
        id: newId(),
        name: request.name,
        mappingKey: request.mapping,
        cadence: request.cadence,
        instructions: request.instructions,
        runAs: request.runAs,
        enabled,
        nextRunAt: firstFire(request.cadence),
        createdAt: now,
        updatedAt: now,
      };
      const created = await store.schedules.create(schedule);
      await recordAdminChange(store.audit, clock, { actor, action: 'schedule.create', target: `schedule:${created.id}`, after: view(created) });
      deps.log.info({ scheduleId: created.id, mapping: created.mappingKey }, 'schedule created');
      return created;
    },

    async update(id, input, actor) {
      const current = await require(id);
      const request = validated(schedulePatchSchema, input);
      if (request.mapping !== undefined) await checkMapping(request.mapping);
      const patch: SchedulePatch = {
        ...(request.name !== undefined ? { name: request.name } : {}),
        ...(request.mapping !== undefined ? { mappingKey: request.mapping } : {}),
        ...(request.cadence !== undefined ? { cadence: request.cadence } : {}),
        ...(request.instructions !== undefined ? { instructions: request.instructions } : {}),
        ...(request.runAs !== undefined ? { runAs: request.runAs } : {}),
        ...(request.enabled !== undefined ? { enabled: request.enabled } : {}),
      };
      // A new cadence, or enabling again, counts from now: slots missed while disabled are not owed.
      const enabling = request.enabled === true && !current.enabled;
      if (request.cadence !== undefined || enabling) patch.nextRunAt = firstFire(request.cadence ?? current.cadence);
      const updated = await store.schedules.update(id, patch);
      if (!updated) throw new NotFoundError(`No schedule ${id}; it was deleted meanwhile.`);
      await recordAdminChange(store.audit, clock, { actor, action: 'schedule.update', target: `schedule:${id}`, before: view(current), after: view(updated) });
      return updated;
    },

    async delete(id, actor) {
      const current = await require(id);
      await store.schedules.delete(id);
      await recordAdminChange(store.audit, clock, { actor, action: 'schedule.delete', target: `schedule:${id}`, before: view(current) });
      return current;
    },

    async fireNow(id, actor) {
      const schedule = await require(id);
      const result = await deps.ticker.fireNow(schedule);
      await recordAdminChange(store.audit, clock, { actor, action: 'schedule.run', target: `schedule:${id}`, after: { outcome: result.outcome.kind, reason: result.outcome.reason } });
      return result;
    },
  };
}
