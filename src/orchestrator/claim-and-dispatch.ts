import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Mapping, TrackerKind } from '../domain/mapping.js';
import { backendFor, type PlanPolicy } from '../domain/plan-dispatch.js';
import type { DispatchLease, Run, RunPhase, TriggerSource } from '../domain/run.js';
import { chooseRunOwner, DEFAULT_RUN_OWNER_FALLBACK } from '../domain/run-owner.js';
import type { WorkItem } from '../domain/work-item.js';
import { ConflictError, ExternalServiceError } from '../errors/index.js';
import type { ClaimIntent, Store } from '../store/store.js';
import type { IssueTracker } from '../trackers/issue-tracker.js';
import type { BudgetGuard } from './budget-guard.js';

/** The ticket a run works on, in the terms a claim needs. */
export interface RunTicket {
  issueId: string;
  identifier: string;
  tracker: TrackerKind;
  title?: string;
}

/** The pull request a run works on: it runs on the PR's own branch. */
export interface RunPull {
  owner: string;
  repo: string;
  number: number;
  headRef: string;
  htmlUrl?: string;
}

/**
 * What a trigger wants started. Every trigger — a poll or tracker webhook
 * (`ticket`), a `/ai-implement` comment, the gap-fill route or a review batch
 * (`pull`) — builds one of these and calls `claimAndDispatch`.
 */
export type RunIntent =
  | {
      kind: 'ticket';
      /** The ticket as the tracker returned it: the start writes its marker, state and status comment. */
      item: WorkItem;
      mapping: Mapping;
      phase: RunPhase;
      triggerSource: TriggerSource;
      /** The planner's count from the dedup ledger; never below the run history's count + 1. */
      dispatchNumber?: number;
      /** The schedule that opened the ticket (trigger source `schedule`). */
      scheduleId?: string;
      /** An operator's choice of owner, or a schedule's run-as email; otherwise the ticket assignee's email, else the fallback. */
      owner?: string;
      /** The run this one retries (an operator's retry or crash recovery). */
      retryOf?: string;
    }
  | {
      kind: 'pull';
      ticket: RunTicket;
      mapping: Mapping;
      pull: RunPull;
      phase: Extract<RunPhase, 'gap-fill' | 'review-feedback'>;
      triggerSource: TriggerSource;
      instructions?: string;
      /** Idempotency key of the request (a comment id, a feedback batch): the same key never starts a second run. */
      dedupKey: string;
      retryOf?: string;
      /** The owner when the trigger knows one (e.g. the ticket's earlier run); otherwise the fallback. */
      owner?: string;
    };

export type StartOutcome =
  /** A new run, dispatched (a shadow leg too, in shadow mode). */
  | { kind: 'started'; run: Run; shadow?: Run }
  /** This very request started a run before (a redelivery, or the other route). */
  | { kind: 'duplicate'; run: Run }
  /** Another run of this phase is live for the ticket. */
  | { kind: 'busy'; run: Run }
  /** Nothing may start (e.g. RUNNER_TOKEN_SECRET is unset, so a runner could never report back). */
  | { kind: 'disabled'; reason: string }
  /** The ticket or its project has reached a spend limit (the ticket is paused and told when it is its own limit). */
  | { kind: 'over-budget'; reason: string };

export interface ClaimAndDispatchDeps {
  store: Store;
  trackers: Partial<Record<TrackerKind, IssueTracker>>;
  clock: () => number;
  log: Logger;
  dedupWindowMs: number;
  /** The effective runner mode (environment override, else the stored setting). */
  runnerMode: () => Promise<PlanPolicy['runnerMode']>;
  /**
   * Starts the backend job of a run in `claimed` and settles a failed
   * dispatch; undefined while the orchestrator is still starting (its
   * callback URL is not known yet).
   */
  dispatch: () => ((runId: string) => Promise<void>) | undefined;
  /** Why no run may start at all; unset when runs can start. */
  dispatchDisabled: string | undefined;
  /** Where an operator follows the run (linked from the ticket comment). */
  runUrl: (runId: string) => string;
  /** The lease a claim takes on its dispatch (this replica, until when another may reconcile it); none: no lease. */
  dispatchLease?: () => DispatchLease;
  /** `RUN_OWNER_FALLBACK`: the owner of a run nobody was named for (default `ai-implement@localhost`). */
  ownerFallback?: string;
  /** Spend limits: a ticket or project at its limit gets no new run. */
  budget?: Pick<BudgetGuard, 'refuseStart'>;
}

/** The run id a request key maps to: the same key always names the same run. */
export function runIdFor(dedupKey: string): string {
  return `gh-${createHash('sha256').update(dedupKey).digest('hex').slice(0, 24)}`;
}

/** The hidden-marker key of a run's one status comment (edited in place as it progresses). */
export function statusCommentKey(runId: string): string {
  return `run-status:${runId}`;
}

/**
 * The one way a run starts: claim (the intent, atomic), then the intent's own
 * bookkeeping (a ticket's dedup row, a PR's branch pinned on the run), the
 * audit record, the dispatch, and the ticket writes. A request seen again gets
 * the run it started the first time and dispatches nothing: if the first
 * attempt died between claim and dispatch, the reconcile pass settles that
 * run rather than a second POST here.
 */
export async function claimAndDispatch(deps: ClaimAndDispatchDeps, intent: RunIntent): Promise<StartOutcome> {
  if (deps.dispatchDisabled) return { kind: 'disabled', reason: deps.dispatchDisabled };
  const dispatch = deps.dispatch();
  // Refuse before claiming: a claimed run nobody dispatches would wait for the reconciler.
  if (!dispatch) throw new ExternalServiceError('the orchestrator is still starting; try again shortly', { service: 'orchestrator', retryable: true, retryAfterMs: 5_000 });
  const { mapping, phase } = intent;
  const ticket = ticketOf(intent);
  // A redelivered request for a run that exists already is answered below as a duplicate, not refused.
  const known = intent.kind === 'pull' ? await deps.store.runs.getRun(runIdFor(intent.dedupKey)) : undefined;
  const refused = known ? undefined : await deps.budget?.refuseStart(mapping, ticket);
  if (refused) return { kind: 'over-budget', reason: refused.reason };
  const now = deps.clock();
  const runnerMode = await deps.runnerMode();
  // Dedup rows expire; the run history does not, so numbering survives the window.
  const dispatchNumber = Math.max(intent.kind === 'ticket' ? (intent.dispatchNumber ?? 0) : 0, (await deps.store.runs.countRuns({ issueId: ticket.issueId })) + 1);
  const claimIntent: ClaimIntent = {
    issueId: ticket.issueId,
    identifier: ticket.identifier,
    ...(ticket.title ? { title: ticket.title } : {}),
    tracker: ticket.tracker,
    mappingKey: mapping.teamKey,
    phase,
    backend: backendFor(mapping, runnerMode),
    runnerMode,
    triggerSource: intent.triggerSource,
    dispatchNumber,
    deadlineAt: new Date(now + mapping.maxJobMinutes * 60_000).toISOString(),
    ...(deps.dispatchLease ? { dispatchLease: deps.dispatchLease() } : {}),
    ...(intent.kind === 'ticket' && intent.scheduleId ? { scheduleId: intent.scheduleId } : {}),
    ...(intent.retryOf ? { retryOf: intent.retryOf } : {}),
    ...chooseRunOwner(intent.owner, intent.kind === 'ticket' ? intent.item.assigneeEmail : undefined, deps.ownerFallback ?? DEFAULT_RUN_OWNER_FALLBACK),
    agentRuntime: mapping.agentRuntime,
    ...(intent.kind === 'pull' ? { id: runIdFor(intent.dedupKey), dedupKey: intent.dedupKey, ...(intent.instructions ? { instructions: intent.instructions } : {}) } : {}),
  };

  const claimed = await claim(deps, claimIntent);
  if (claimed.kind !== 'claimed') {
    if (claimed.kind === 'duplicate' && intent.kind === 'pull') return { kind: 'duplicate', run: await pinPull(deps, claimed.run, intent.pull) };
    return claimed;
  }
  let run = claimed.run;
  if (intent.kind === 'pull') run = await pinPull(deps, run, intent.pull);
  else await recordDispatchInLedger(deps, run, now);
  const pr = intent.kind === 'pull' ? { pr: `${intent.pull.owner}/${intent.pull.repo}#${intent.pull.number}` } : {};
  await deps.store.audit.append({
    at: new Date(now).toISOString(),
    actor: 'orchestrator',
    action: 'dispatch.start',
    target: run.id,
    after: { issue: ticket.identifier, mapping: mapping.teamKey, phase, backend: run.backend, dispatchNumber, triggerSource: run.triggerSource, ...pr, ...(run.scheduleId ? { scheduleId: run.scheduleId } : {}) },
  });
  const log = deps.log.child({ runId: run.id, issue: ticket.identifier });
  log.info({ phase, triggerSource: run.triggerSource, backend: run.backend, ...pr }, 'run started');

  // The shadow leg compares a ticket's run on Fly; requests on a PR have no second leg.
  let shadow: Run | undefined;
  if (runnerMode === 'shadow' && intent.kind === 'ticket') {
    const leg = await deps.store.runs.claimTicket({ ...claimIntent, backend: 'fly-machines', runnerMode: 'shadow', shadowOf: run.id });
    if (leg.claimed) shadow = leg.run;
  }

  await dispatch(run.id);
  if (shadow) {
    // The shadow leg is for comparison only; its failure to start must not touch the primary.
    await dispatch(shadow.id).catch((error: unknown) => log.warn({ err: error, shadowRunId: shadow?.id }, 'shadow leg did not start'));
  }
  if (intent.kind === 'ticket') await announceStart(deps, intent.item, run, log);
  return shadow ? { kind: 'started', run, shadow } : { kind: 'started', run };
}

function ticketOf(intent: RunIntent): RunTicket {
  if (intent.kind === 'pull') return intent.ticket;
  const { item } = intent;
  return { issueId: item.id, identifier: item.identifier, title: item.title, tracker: item.tracker };
}

type ClaimOutcome = { kind: 'claimed'; run: Run } | { kind: 'duplicate'; run: Run } | { kind: 'busy'; run: Run };

/** The store's atomic claim, read as: ours now, this same request before, or another live run. */
async function claim(deps: ClaimAndDispatchDeps, intent: ClaimIntent): Promise<ClaimOutcome> {
  try {
    const result = await deps.store.runs.claimTicket(intent);
    if (result.claimed) return { kind: 'claimed', run: result.run };
    return intent.id !== undefined && result.existing.id === intent.id ? { kind: 'duplicate', run: result.existing } : { kind: 'busy', run: result.existing };
  } catch (error) {
    // The key's memory (7 days) lapsed but its run is still on record: still the same request.
    if (!(error instanceof ConflictError) || intent.id === undefined) throw error;
    const run = await deps.store.runs.getRun(intent.id);
    if (!run) throw error;
    return { kind: 'duplicate', run };
  }
}

/** A ticket's dedup row: the planner leaves the ticket alone for the window (or a failure's back-off). */
async function recordDispatchInLedger(deps: ClaimAndDispatchDeps, run: Run, now: number): Promise<void> {
  await deps.store.dedup.put(run.issueId, {
    identifier: run.identifier,
    ...(run.title ? { title: run.title } : {}),
    runId: run.id,
    dispatchedAt: new Date(now).toISOString(),
    expiresAt: new Date(now + deps.dedupWindowMs).toISOString(),
    dispatchNumber: run.dispatchNumber,
    phase: run.phase,
  });
}

/** Writes the PR branch and number onto a run still waiting to dispatch (the job spec reads them). */
async function pinPull(deps: ClaimAndDispatchDeps, run: Run, pull: RunPull): Promise<Run> {
  if (run.branch === pull.headRef && run.prNumber === pull.number) return run;
  try {
    return await deps.store.runs.updateRun(
      run.id,
      { branch: pull.headRef, prNumber: pull.number, ...(pull.htmlUrl ? { prUrl: pull.htmlUrl } : {}) },
      { expectStatus: 'claimed', expectAttempt: run.attempt },
    );
  } catch (error) {
    // Already dispatched or finished: whatever it carried is what it ran with.
    if (error instanceof ConflictError) return run;
    throw error;
  }
}

/** Marker, In Progress and the run's one status comment on the ticket. */
async function announceStart(deps: ClaimAndDispatchDeps, item: WorkItem, run: Run, log: Logger): Promise<void> {
  const tracker = deps.trackers[item.tracker];
  if (!tracker) return;
  try {
    await tracker.addMarker(item, run.phase === 'plan' ? 'planning' : 'working');
    await tracker.transition(item, 'in-progress');
    await tracker.ensureComment(
      item,
      statusCommentKey(run.id),
      `🤖 AI-Implement started ${run.phase === 'plan' ? 'planning' : 'working on'} this ticket (run ${run.id}, dispatch #${run.dispatchNumber}, ${run.backend}).\n\nFollow it here: ${deps.runUrl(run.id)}`,
    );
  } catch (error) {
    // The run is live either way; the ticket catches up on the next write (all writes are idempotent).
    log.warn({ err: error }, 'ticket update on dispatch failed');
  }
}
