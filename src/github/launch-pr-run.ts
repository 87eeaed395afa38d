import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { backendFor, type PlanPolicy } from '../domain/plan-dispatch.js';
import type { Run, RunPhase, TriggerSource } from '../domain/run.js';
import { ConflictError, ExternalServiceError } from '../errors/index.js';
import type { Store } from '../store/store.js';
import type { PullInfo } from './pull-request-api.js';
import type { PrTarget } from './resolve-pr-target.js';

export interface LaunchDeps {
  store: Store;
  clock: () => number;
  log: Logger;
  runnerMode: () => Promise<PlanPolicy['runnerMode']>;
  /** Starts the backend job of a run in `dispatching`; unset until the loops start. */
  dispatch: () => ((runId: string) => Promise<void>) | undefined;
}

export interface LaunchRequest {
  target: Extract<PrTarget, { ok: true }>;
  pull: PullInfo;
  phase: Extract<RunPhase, 'gap-fill' | 'review-feedback'>;
  triggerSource: TriggerSource;
  instructions?: string;
  /** Idempotency key of the request (a comment id, a feedback batch): the same key never starts a second run. */
  dedupKey: string;
}

export type LaunchOutcome =
  /** A new run, dispatched. */
  | { kind: 'started'; run: Run }
  /** This very request started a run before (a redelivery, or the other route). */
  | { kind: 'duplicate'; run: Run }
  /** Another run of this phase is live for the ticket. */
  | { kind: 'busy'; run: Run };

/** The run id a request key maps to: the same key always names the same run. */
export function runIdFor(dedupKey: string): string {
  return `gh-${createHash('sha256').update(dedupKey).digest('hex').slice(0, 24)}`;
}

/**
 * Starts a run on an existing PR's branch: claim (atomic, keyed by the
 * request), pin the branch and PR on the intent, audit, then dispatch — the
 * same order as a ticket's first run (invariant 2). A request seen again gets
 * the run it started the first time and dispatches nothing: if the first
 * attempt died between claim and dispatch, the dispatcher's reconcile pass
 * settles that run rather than a second POST here.
 */
export async function launchPrRun(deps: LaunchDeps, request: LaunchRequest): Promise<LaunchOutcome> {
  const dispatch = deps.dispatch();
  // Refuse before claiming: a claimed run nobody dispatches would wait for the reconciler.
  if (!dispatch) throw new ExternalServiceError('the orchestrator is still starting; try again shortly', { service: 'orchestrator', retryable: true, retryAfterMs: 5_000 });
  const { mapping, ticket } = request.target;
  const { pull } = request;
  const id = runIdFor(request.dedupKey);
  const now = deps.clock();
  const runnerMode = await deps.runnerMode();
  const dispatchNumber = (await deps.store.runs.countRuns({ issueId: ticket.issueId })) + 1;
  let claim;
  try {
    claim = await deps.store.runs.claimTicket({
      id,
      issueId: ticket.issueId,
      identifier: ticket.identifier,
      ...(ticket.title ? { title: ticket.title } : {}),
      tracker: ticket.tracker,
      mappingKey: mapping.teamKey,
      phase: request.phase,
      backend: backendFor(mapping, runnerMode),
      runnerMode,
      triggerSource: request.triggerSource,
      dispatchNumber,
      deadlineAt: new Date(now + mapping.maxJobMinutes * 60_000).toISOString(),
      ...(request.instructions ? { instructions: request.instructions } : {}),
      dedupKey: request.dedupKey,
    });
  } catch (error) {
    // The key's memory (7 days) lapsed but its run is still on record: still the same request.
    if (!(error instanceof ConflictError)) throw error;
    const run = await deps.store.runs.getRun(id);
    if (!run) throw error;
    return { kind: 'duplicate', run };
  }
  if (!claim.claimed) {
    if (claim.existing.id !== id) return { kind: 'busy', run: claim.existing };
    return { kind: 'duplicate', run: await pinPull(deps, claim.existing, pull) };
  }
  const run = await pinPull(deps, claim.run, pull);
  await deps.store.audit.append({
    at: new Date(now).toISOString(),
    actor: 'orchestrator',
    action: 'dispatch.start',
    target: run.id,
    after: { issue: ticket.identifier, mapping: mapping.teamKey, phase: request.phase, backend: run.backend, dispatchNumber, triggerSource: run.triggerSource, pr: `${pull.owner}/${pull.repo}#${pull.number}` },
  });
  deps.log.info({ runId: run.id, issue: ticket.identifier, phase: request.phase, pr: pull.number }, 'run started on a pull request');
  await dispatch(run.id);
  return { kind: 'started', run };
}

/** Writes the PR branch and number onto a run still waiting to dispatch (the job spec reads them). */
async function pinPull(deps: LaunchDeps, run: Run, pull: PullInfo): Promise<Run> {
  if (run.branch === pull.headRef && run.prNumber === pull.number) return run;
  try {
    return await deps.store.runs.updateRun(
      run.id,
      { branch: pull.headRef, prNumber: pull.number, ...(pull.htmlUrl ? { prUrl: pull.htmlUrl } : {}) },
      { expectStatus: 'dispatching', expectAttempt: run.attempt },
    );
  } catch (error) {
    // Already dispatched or finished: whatever it carried is what it ran with.
    if (error instanceof ConflictError) return run;
    throw error;
  }
}
