import { ConflictError } from '../../errors/index.js';
import { DISPATCHING_STATUS, dispatchLeaseFor, QUEUED_STATUSES } from '../../domain/dispatch-lease.js';
import type { Run, RunStatus } from '../../domain/run.js';
import { isTerminal, recordTransition, transitionRefusal } from '../../domain/run-status.js';
import type { ClaimIntent, DueRunLeaseRequest, RunExpectation } from '../store.js';
import { clone, toIso } from './codec.js';
import { asSet } from './run-filter.js';
import { compact } from './store-context.js';

/** The run a claim creates, as every store writes it. */
export function newRunFromIntent(intent: ClaimIntent, id: string, now: number): Run {
  return compact({
    id,
    issueId: intent.issueId,
    identifier: intent.identifier,
    title: intent.title,
    tracker: intent.tracker,
    mappingKey: intent.mappingKey,
    phase: intent.phase,
    status: intent.status ?? 'claimed',
    attempt: intent.attempt ?? 1,
    dispatchNumber: intent.dispatchNumber ?? 1,
    backend: intent.backend,
    runnerMode: intent.runnerMode,
    triggerSource: intent.triggerSource,
    instructions: intent.instructions,
    shadowOf: intent.shadowOf,
    scheduleId: intent.scheduleId,
    deadlineAt: intent.deadlineAt,
    owner: intent.owner,
    ownerFallback: intent.owner !== undefined && intent.ownerFallback === true ? true : undefined,
    agent: intent.agentRuntime !== undefined ? { runtime: intent.agentRuntime } : undefined,
    dispatchLease: intent.dispatchLease,
    retryOf: intent.retryOf,
    createdAt: toIso(now),
    updatedAt: toIso(now),
  });
}

/**
 * A live run with a patch applied, after the caller's expectations and the
 * status rules are checked (ConflictError otherwise): the one update rule
 * every store applies inside its own lock or transaction.
 */
export function applyRunUpdate(run: Run, patch: Partial<Omit<Run, 'id' | 'createdAt' | 'updatedAt'>>, expect: RunExpectation, now: number): Run {
  const expected = asSet<RunStatus>(expect.expectStatus);
  if (expected && !expected.has(run.status)) throw new ConflictError(`run ${run.id} is ${run.status}, expected ${[...expected].join('|')}`);
  if (expect.expectAttempt !== undefined && run.attempt !== expect.expectAttempt) {
    throw new ConflictError(`run ${run.id} is on attempt ${run.attempt}, expected ${expect.expectAttempt}`);
  }
  const next = patch.status ?? run.status;
  const refusal = transitionRefusal(run.status, next, run.id);
  if (refusal) throw new ConflictError(refusal);
  const at = toIso(now);
  const updated: Run = compact({ ...run, ...clone(patch), id: run.id, createdAt: run.createdAt, updatedAt: at });
  const reason = next === 'retrying' && patch.retryAt ? `due again at ${patch.retryAt}` : isTerminal(next) ? patch.failureReason : undefined;
  const transitions = recordTransition(run, run.status, next, at, reason);
  if (transitions) updated.transitions = transitions;
  if (isTerminal(next)) updated.finishedAt ??= at;
  return updated;
}

/** A queued or retrying run as the dispatch queue hands it out: `claimed` under the taker's lease, its old deadline gone. */
export function takeQueuedRun(run: Run, request: DueRunLeaseRequest, now: number): Run {
  const taken = applyRunUpdate(run, { status: DISPATCHING_STATUS, dispatchLease: dispatchLeaseFor(request.holder, now, request.leaseMs) }, { expectStatus: QUEUED_STATUSES }, now);
  delete taken.deadlineAt;
  return taken;
}
