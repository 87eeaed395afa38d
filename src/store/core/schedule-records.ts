import type { Schedule } from '../../domain/schedule.js';
import { ConflictError, ValidationError } from '../../errors/index.js';
import type { SchedulePatch } from '../store.js';
import { clone, toIso } from './codec.js';
import { compact } from './store-context.js';

/** What a new schedule must carry before any store keeps it. */
export function checkNewSchedule(schedule: Schedule): Schedule {
  if (!schedule.id) throw new ValidationError('a schedule needs an id', 'id');
  if (!schedule.mappingKey) throw new ValidationError('a schedule needs a mappingKey', 'mappingKey');
  return compact(clone(schedule));
}

/**
 * The schedule with `patch` applied, after the compare-and-set on the next
 * fire is checked (ConflictError otherwise): the one update rule every store
 * applies inside its own lock or transaction.
 */
export function applySchedulePatch(current: Schedule, patch: SchedulePatch, expectNextRunAt: string | null | undefined, now: number): Schedule {
  if (expectNextRunAt !== undefined && (current.nextRunAt ?? null) !== expectNextRunAt) {
    throw new ConflictError(`schedule ${current.id} fires next at ${current.nextRunAt ?? 'no time'}, expected ${expectNextRunAt ?? 'no time'}`);
  }
  return compact({ ...current, ...clone(patch), id: current.id, createdAt: current.createdAt, updatedAt: patch.updatedAt ?? toIso(now) });
}
