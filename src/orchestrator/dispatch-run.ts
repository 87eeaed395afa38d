import type { Mapping } from '../domain/mapping.js';
import type { Run } from '../domain/run.js';
import { RUNNER_ENV } from '../domain/runner-protocol.js';
import { ConflictError } from '../errors/index.js';
import type { DispatchRequest, RunnerBackend } from '../runners/runner-backend.js';
import type { RunPatch } from '../store/store.js';
import type { DispatchDeps, DispatchOutcome } from './dispatch-deps.js';
import { describeError, failRun, isCleanRefusal, lookupUpstream, recordDispatched, requeueRun, targetOf } from './dispatch-resolve.js';

export { reconcileDispatching } from './dispatch-reconcile.js';
export type { DispatchDeps, DispatchOutcome, DispatchPolicy } from './dispatch-deps.js';

/**
 * Starts the upstream job of a run whose intent is already persisted
 * (status `claimed`, written by `claimTicket` or a re-queue).
 *
 * The backend POST is made once. When it fails, the run id it carried is
 * looked up instead of posting again: found → recorded as dispatched; not
 * found after a clean refusal → re-queued as the next attempt (or failed when
 * the refusal is permanent); not found after no answer → left in
 * `claimed`, because the job may still appear, and `reconcileDispatching`
 * settles it once the run is stale.
 */
export async function dispatchRun(deps: DispatchDeps, runId: string): Promise<DispatchOutcome> {
  if (deps.inFlight?.has(runId)) return { kind: 'skipped', runId, reason: 'a dispatch of this run is already in flight' };
  deps.inFlight?.add(runId);
  try {
    return await dispatchOnce(deps, runId);
  } finally {
    deps.inFlight?.delete(runId);
  }
}

async function dispatchOnce(deps: DispatchDeps, runId: string): Promise<DispatchOutcome> {
  let run = await deps.store.runs.getRun(runId);
  if (!run) return { kind: 'skipped', runId, reason: 'run not found' };
  if (run.status !== 'claimed') return { kind: 'skipped', runId, reason: `run is ${run.status}, not claimed` };
  const target = await targetOf(deps, run);
  if ('problem' in target) return failRun(deps, run, target.problem);
  const { mapping, backend } = target;
  const log = deps.log.child({ runId, attempt: run.attempt, backend: run.backend });

  // The deadline is part of the intent (tokens expire with it and the reaper reads it), and so is who holds the claim.
  const intent: RunPatch = {
    ...(!run.deadlineAt ? { deadlineAt: new Date(deps.clock() + mapping.maxJobMinutes * 60_000).toISOString() } : {}),
    ...(deps.replicaId && run.claimedBy !== deps.replicaId ? { claimedBy: deps.replicaId } : {}),
  };
  if (Object.keys(intent).length > 0) {
    try {
      run = await deps.store.runs.updateRun(runId, intent, { expectStatus: 'claimed', expectAttempt: run.attempt });
    } catch (error) {
      if (error instanceof ConflictError) return { kind: 'skipped', runId, reason: error.message };
      throw error;
    }
  }

  let request: DispatchRequest;
  try {
    request = await buildRequest(deps, run, mapping);
  } catch (error) {
    // Nothing was sent upstream yet, so this is a refusal of our own.
    return requeueRun(deps, run, `could not prepare the dispatch: ${describeError(error)}`);
  }

  try {
    const upstream = await backend.dispatch(request);
    return await recordDispatched(deps, run, upstream, 'answer', mapping, backend);
  } catch (error) {
    log.warn({ err: error, cleanRefusal: isCleanRefusal(error) }, 'dispatch call failed; asking the backend what happened');
    return resolveFailedDispatch(deps, run, mapping, backend, error);
  }
}

async function resolveFailedDispatch(deps: DispatchDeps, run: Run, mapping: Mapping, backend: RunnerBackend, error: unknown): Promise<DispatchOutcome> {
  const lookup = await lookupUpstream(deps, backend, run, mapping);
  if (lookup.upstream) return recordDispatched(deps, run, lookup.upstream, 'lookup', mapping, backend);
  const reason = describeError(error);
  if (lookup.error !== undefined) {
    return { kind: 'unresolved', run, reason: `${reason}; lookup failed: ${describeError(lookup.error)}` };
  }
  if (!isCleanRefusal(error)) return { kind: 'unresolved', run, reason: `${reason}; not found upstream yet` };
  if (!error.retryable) return failRun(deps, run, `${backend.kind} refused the dispatch: ${reason}`);
  return requeueRun(deps, run, reason, error.retryAfterMs ?? 0);
}

async function buildRequest(deps: DispatchDeps, run: Run, mapping: Mapping): Promise<DispatchRequest> {
  const deadlineAt = run.deadlineAt ?? new Date(deps.clock() + mapping.maxJobMinutes * 60_000).toISOString();
  const tokens = deps.tokens.mint(run.id, run.attempt, deadlineAt);
  const secrets = await deps.secretsFor(mapping, run.backend);
  return {
    runId: run.id,
    attempt: run.attempt,
    phase: run.phase,
    issueIdentifier: run.identifier,
    mapping,
    orchestratorUrl: deps.orchestratorUrl,
    env: {
      [RUNNER_ENV.url]: deps.orchestratorUrl,
      [RUNNER_ENV.runId]: run.id,
      [RUNNER_ENV.attempt]: String(run.attempt),
      [RUNNER_ENV.progressToken]: tokens.progressToken,
      [RUNNER_ENV.resultToken]: tokens.resultToken,
      // Names only: the runner scrubs these variables' values from everything it reports.
      ...(Object.keys(secrets).length > 0 ? { [RUNNER_ENV.secretNames]: Object.keys(secrets).sort().join(',') } : {}),
    },
    secrets,
    deadlineAt,
    shadow: run.shadowOf !== undefined,
  };
}
