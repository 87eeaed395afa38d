import type { Mapping } from '../domain/mapping.js';
import { isTerminal } from '../domain/run-status.js';
import type { Run } from '../domain/run.js';
import { ConflictError, ExternalServiceError } from '../errors/index.js';
import type { RunnerBackend, UpstreamRun } from '../runners/runner-backend.js';
import { backoffFor, policyOf, sleepOf, type DispatchDeps, type DispatchOutcome } from './dispatch-deps.js';

/**
 * The steps shared by a dispatch that failed and by reconciliation of a run
 * left in `claimed`: ask the backend, then record what it says.
 */

/**
 * A clean refusal is an answer: the backend said no and, by HTTP semantics,
 * did not apply the request. Anything else (a reset socket, a timeout, an
 * unexpected throw) may have been applied upstream.
 */
export function isCleanRefusal(error: unknown): error is ExternalServiceError & { status: number } {
  return error instanceof ExternalServiceError && error.status !== undefined;
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export interface Lookup {
  upstream?: UpstreamRun;
  /** Set when every lookup failed, so "not found" is not known. */
  error?: unknown;
}

/**
 * `find`, retried with back-off. A job recorded for an earlier attempt of
 * this run (its upstream id is already on the run) is not this attempt's job.
 */
export async function lookupUpstream(deps: DispatchDeps, backend: RunnerBackend, run: Run, mapping: Mapping): Promise<Lookup> {
  const policy = policyOf(deps);
  const sleep = sleepOf(deps);
  let lastError: unknown;
  let answered = false;
  for (let i = 0; i < policy.lookupAttempts; i++) {
    if (i > 0) await sleep(policy.lookupBackoffMs * 2 ** (i - 1));
    try {
      const found = await backend.find(run.id, mapping);
      answered = true;
      if (found && found.upstreamId !== run.upstreamId) return { upstream: found };
    } catch (error) {
      lastError = error;
      deps.log.warn({ runId: run.id, err: error }, 'dispatch lookup failed');
    }
  }
  return answered ? {} : { error: lastError ?? new Error('no lookups made') };
}

export async function recordDispatched(deps: DispatchDeps, run: Run, upstream: UpstreamRun, via: 'answer' | 'lookup', mapping: Mapping, backend: RunnerBackend): Promise<DispatchOutcome> {
  const patch = {
    upstreamId: upstream.upstreamId,
    ...(upstream.url ? { upstreamUrl: upstream.url } : {}),
    ...(upstream.sessionImage ? { sessionImage: upstream.sessionImage } : {}),
  };
  try {
    const updated = await deps.store.runs.updateRun(run.id, { status: 'launching', ...patch }, { expectStatus: 'claimed', expectAttempt: run.attempt });
    deps.log.info({ runId: run.id, attempt: run.attempt, upstreamId: upstream.upstreamId, via }, 'run dispatched');
    return { kind: 'dispatched', run: updated, upstream, via };
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
  }
  const current = await deps.store.runs.getRun(run.id);
  if (current && current.attempt === run.attempt && !isTerminal(current.status) && current.status !== 'queued' && current.status !== 'retrying') {
    // A fast runner reported progress before the record: keep its status, add the id.
    const updated = await deps.store.runs.updateRun(run.id, patch, { expectStatus: current.status, expectAttempt: run.attempt });
    return { kind: 'dispatched', run: updated, upstream, via };
  }
  if (current && current.attempt === run.attempt && current.status !== 'cancelled') {
    return { kind: 'skipped', runId: run.id, reason: `run is ${current.status}; upstream ${upstream.upstreamId} already reported` };
  }
  // Cancelled meanwhile, or superseded by another attempt: the job just started has no run to serve.
  try {
    await backend.cancel(upstream.upstreamId, mapping);
  } catch (error) {
    deps.log.warn({ runId: run.id, upstreamId: upstream.upstreamId, err: error }, 'could not cancel an orphaned upstream job');
  }
  return { kind: 'skipped', runId: run.id, reason: `run moved on (${current?.status ?? 'gone'}, attempt ${current?.attempt ?? '-'}); upstream ${upstream.upstreamId} cancelled` };
}

/**
 * To `retrying` as the next attempt (still holding the ticket's slot): new attempt number (the old attempt's
 * tokens become stale), next dispatch number, due after the longer of the
 * attempt's back-off and the backend's Retry-After (a secondary rate limit
 * asking for a minute must not be retried in thirty seconds).
 */
export async function requeueRun(deps: DispatchDeps, run: Run, reason: string, retryAfterMs = 0): Promise<DispatchOutcome> {
  const policy = policyOf(deps);
  if (run.attempt >= policy.maxAttempts) return failRun(deps, run, `gave up after ${run.attempt} dispatch attempts: ${reason}`);
  try {
    const retryAt = new Date(deps.clock() + Math.max(retryAfterMs, backoffFor(run.attempt + 1, policy))).toISOString();
    const updated = await deps.store.runs.updateRun(
      run.id,
      { status: 'retrying', attempt: run.attempt + 1, dispatchNumber: run.dispatchNumber + 1, retryAt },
      { expectStatus: 'claimed', expectAttempt: run.attempt },
    );
    deps.log.warn({ runId: run.id, attempt: updated.attempt, retryAt, reason }, 'dispatch refused; run re-queued');
    return { kind: 'requeued', run: updated, retryAt, reason };
  } catch (error) {
    if (error instanceof ConflictError) return { kind: 'skipped', runId: run.id, reason: `not re-queued: ${error.message}` };
    throw error;
  }
}

export async function failRun(deps: DispatchDeps, run: Run, reason: string): Promise<DispatchOutcome> {
  try {
    const updated = await deps.store.runs.updateRun(
      run.id,
      { status: 'failed', failureReason: reason, failedStep: 'dispatch' },
      { expectStatus: 'claimed', expectAttempt: run.attempt },
    );
    deps.log.error({ runId: run.id, attempt: run.attempt, reason }, 'dispatch failed');
    return { kind: 'failed', run: updated, reason };
  } catch (error) {
    if (error instanceof ConflictError) return { kind: 'skipped', runId: run.id, reason: `not failed: ${error.message}` };
    throw error;
  }
}

/** The run's mapping and backend, or why the run cannot be dispatched at all. */
export async function targetOf(deps: DispatchDeps, run: Run): Promise<{ mapping: Mapping; backend: RunnerBackend } | { problem: string }> {
  const mapping = await deps.store.mappings.get(run.mappingKey);
  if (!mapping) return { problem: `mapping ${run.mappingKey} no longer exists` };
  const backend = deps.backends[run.backend];
  if (!backend) return { problem: `runner backend ${run.backend} is not configured` };
  return { mapping, backend };
}
