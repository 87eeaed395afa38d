import type { Run, RunBackend, RunStatus, TriggerSource } from '../../domain/run.js';
import type { RunQuery } from '../store.js';
import { toMs } from './codec.js';

/** A run query's filters in the form the history indexes evaluate them. */
export interface RunFilter {
  statuses?: ReadonlySet<RunStatus>;
  mappingKey?: string;
  backend?: RunBackend;
  runnerMode?: string;
  triggerSource?: TriggerSource;
  issueId?: string;
  runtime?: string;
  owner?: string;
  /** createdAt >= fromMs */
  fromMs: number;
  /** createdAt < toMs */
  toMs: number;
}

/** The fields of a run (or of an index entry) a filter looks at. */
export interface FilterableRun {
  status: RunStatus;
  mappingKey: string;
  backend: RunBackend;
  runnerMode: string;
  triggerSource: TriggerSource;
  issueId: string;
  /** '' when the run names none. */
  runtime: string;
  /** '' when the run has none (runs from before owners). */
  owner: string;
}

/** A run's filterable runtime and owner ('' for none), as every index keeps them. */
export function runtimeOf(run: Run): string {
  return run.agent?.runtime ?? '';
}

export function ownerOf(run: Run): string {
  return run.owner ?? '';
}

/** A run as the filters see it. */
export function filterableOf(run: Run): FilterableRun & { createdMs: number } {
  return {
    status: run.status,
    mappingKey: run.mappingKey,
    backend: run.backend,
    runnerMode: run.runnerMode,
    triggerSource: run.triggerSource,
    issueId: run.issueId,
    runtime: runtimeOf(run),
    owner: ownerOf(run),
    createdMs: Date.parse(run.createdAt),
  };
}

export function asSet<T>(value: T | readonly T[] | undefined): Set<T> | undefined {
  if (value === undefined) return undefined;
  return new Set(Array.isArray(value) ? (value as T[]) : [value as T]);
}

export function runFilterOf(query: Omit<RunQuery, 'limit' | 'cursor'>): RunFilter {
  const statuses = asSet<RunStatus>(query.status);
  return {
    ...(statuses ? { statuses } : {}),
    ...(query.mappingKey !== undefined ? { mappingKey: query.mappingKey } : {}),
    ...(query.backend !== undefined ? { backend: query.backend } : {}),
    ...(query.runnerMode !== undefined ? { runnerMode: query.runnerMode } : {}),
    ...(query.triggerSource !== undefined ? { triggerSource: query.triggerSource } : {}),
    ...(query.issueId !== undefined ? { issueId: query.issueId } : {}),
    ...(query.runtime !== undefined ? { runtime: query.runtime } : {}),
    ...(query.owner !== undefined ? { owner: query.owner } : {}),
    fromMs: query.from === undefined ? -Infinity : toMs(query.from, 'from'),
    toMs: query.to === undefined ? Infinity : toMs(query.to, 'to'),
  };
}

/** The field filters only; the time range is the caller's (it is also the sort key). */
export function matchesFields(run: FilterableRun, filter: RunFilter): boolean {
  return (
    (!filter.statuses || filter.statuses.has(run.status)) &&
    (filter.mappingKey === undefined || run.mappingKey === filter.mappingKey) &&
    (filter.backend === undefined || run.backend === filter.backend) &&
    (filter.runnerMode === undefined || run.runnerMode === filter.runnerMode) &&
    (filter.triggerSource === undefined || run.triggerSource === filter.triggerSource) &&
    (filter.issueId === undefined || run.issueId === filter.issueId) &&
    (filter.runtime === undefined || run.runtime === filter.runtime) &&
    (filter.owner === undefined || run.owner === filter.owner)
  );
}

export function matchesFilter(run: FilterableRun & { createdMs: number }, filter: RunFilter): boolean {
  return run.createdMs >= filter.fromMs && run.createdMs < filter.toMs && matchesFields(run, filter);
}
