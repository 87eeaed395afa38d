import type { Mapping } from '../domain/mapping.js';
import type { Run } from '../domain/run.js';
import { isTerminal } from '../domain/run-status.js';
import type { WorkItem } from '../domain/work-item.js';
import type { UpstreamRun } from '../runners/runner-backend.js';

export type ReaperRule = 'orphan' | 'stale-terminal-job' | 'max-age-exceeded' | 'issue-terminal';

export const REAPER_RULES: readonly ReaperRule[] = ['orphan', 'stale-terminal-job', 'max-age-exceeded', 'issue-terminal'];

/** Added to a mapping's maxJobMinutes before a job counts as too old: the runner's own deadline fires first. */
export const DEFAULT_MAX_AGE_GRACE_MS = 15 * 60_000;
/** Used for a job whose mapping is gone (the documented maxJobMinutes default). */
export const DEFAULT_MAX_JOB_MINUTES = 90;

/** What the reaper knows about one live job when it decides. */
export interface JobFacts {
  job: UpstreamRun;
  run: Run | undefined;
  mapping: Mapping | undefined;
  /** The run's ticket: undefined when it no longer exists, 'unknown' when it was not (or could not be) read. */
  ticket: WorkItem | undefined | 'unknown';
  now: number;
  graceMs: number;
}

export interface ReaperVerdict {
  rule: ReaperRule;
  ageSeconds: number;
  reason: string;
}

export function jobAgeSeconds(job: UpstreamRun, now: number): number {
  const started = job.startedAt ? Date.parse(job.startedAt) : Number.NaN;
  return Number.isFinite(started) ? Math.max(0, Math.round((now - started) / 1000)) : 0;
}

/**
 * Decides whether one live job is a leftover, and by which rule (the first
 * that matches, in REAPER_RULES order). Pure: the reaper does the I/O.
 */
export function judgeJob(facts: JobFacts): ReaperVerdict | undefined {
  const { job, run, mapping, ticket, now, graceMs } = facts;
  const ageSeconds = jobAgeSeconds(job, now);
  if (!run) return { rule: 'orphan', ageSeconds, reason: `no run ${job.runId || '(unnamed)'} in the store` };
  // A run re-dispatched to another job leaves this one without an owner; a run still
  // `claimed` has not recorded its job id yet, so it is not a leftover.
  if (!isTerminal(run.status) && run.upstreamId !== undefined && run.upstreamId !== job.upstreamId && run.status !== 'claimed') {
    return { rule: 'orphan', ageSeconds, reason: `run ${run.id} now belongs to job ${run.upstreamId}` };
  }
  if (isTerminal(run.status)) return { rule: 'stale-terminal-job', ageSeconds, reason: `run ${run.id} already ${run.status}` };
  const maxMinutes = mapping?.maxJobMinutes ?? DEFAULT_MAX_JOB_MINUTES;
  if (ageSeconds * 1000 > maxMinutes * 60_000 + graceMs) {
    return { rule: 'max-age-exceeded', ageSeconds, reason: `older than maxJobMinutes ${maxMinutes} plus ${Math.round(graceMs / 60_000)} min grace` };
  }
  if (ticket === undefined) return { rule: 'issue-terminal', ageSeconds, reason: `ticket ${run.identifier} no longer exists` };
  if (ticket !== 'unknown' && (ticket.lifecycle === 'completed' || ticket.lifecycle === 'canceled')) {
    return { rule: 'issue-terminal', ageSeconds, reason: `ticket ${run.identifier} is ${ticket.lifecycle}` };
  }
  return undefined;
}
