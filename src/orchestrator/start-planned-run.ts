import type { Logger } from 'pino';
import type { PlannedRun, PlanPolicy } from '../domain/plan-dispatch.js';
import type { Run } from '../domain/run.js';
import type { Store } from '../store/store.js';
import type { IssueTracker } from '../trackers/issue-tracker.js';

export interface StartRunDeps {
  store: Store;
  clock: () => number;
  log: Logger;
  dedupWindowMs: number;
  /** Starts the backend job for a run in `dispatching` (intent already persisted). */
  dispatch: (runId: string) => Promise<void>;
  /** Where an operator follows the run (linked from the ticket comment). */
  runUrl: (runId: string) => string;
}

export interface StartedRun {
  run: Run;
  /** The inert second leg of shadow mode. */
  shadow?: Run;
}

/** The hidden-marker key of a run's one status comment (edited in place as it progresses). */
export function statusCommentKey(runId: string): string {
  return `run-status:${runId}`;
}

/**
 * Executes one planned start: claim (the intent, atomic), dedup entry, audit
 * record, dispatch, then the ticket writes. A lost claim race means another
 * evaluation started it already, and nothing else happens.
 */
export async function startPlannedRun(
  deps: StartRunDeps,
  planned: PlannedRun,
  context: { tracker: IssueTracker; runnerMode: PlanPolicy['runnerMode'] },
): Promise<StartedRun | undefined> {
  const { item, mapping, phase } = planned;
  const now = deps.clock();
  const deadlineAt = new Date(now + mapping.maxJobMinutes * 60_000).toISOString();
  // Dedup rows expire; the run history does not, so numbering survives the window.
  const dispatchNumber = Math.max(planned.dispatchNumber, (await deps.store.runs.countRuns({ issueId: item.id })) + 1);
  const intent = {
    issueId: item.id,
    identifier: item.identifier,
    title: item.title,
    tracker: item.tracker,
    mappingKey: mapping.teamKey,
    phase,
    triggerSource: planned.triggerSource,
    dispatchNumber,
    deadlineAt,
  };
  const claim = await deps.store.runs.claimTicket({ ...intent, backend: planned.backend, runnerMode: context.runnerMode });
  if (!claim.claimed) return undefined;
  const { run } = claim;
  const log = deps.log.child({ runId: run.id, issue: item.identifier });

  await deps.store.dedup.put(item.id, {
    identifier: item.identifier,
    title: item.title,
    runId: run.id,
    dispatchedAt: new Date(now).toISOString(),
    expiresAt: new Date(now + deps.dedupWindowMs).toISOString(),
    dispatchNumber,
  });
  await deps.store.audit.append({
    at: new Date(now).toISOString(),
    actor: 'orchestrator',
    action: 'dispatch.start',
    target: run.id,
    after: { issue: item.identifier, mapping: mapping.teamKey, phase, backend: run.backend, dispatchNumber, triggerSource: run.triggerSource },
  });

  let shadow: Run | undefined;
  if (context.runnerMode === 'shadow') {
    const leg = await deps.store.runs.claimTicket({ ...intent, backend: 'fly-machines', runnerMode: 'shadow', shadowOf: run.id });
    if (leg.claimed) shadow = leg.run;
  }

  await deps.dispatch(run.id);
  if (shadow) {
    // The shadow leg is for comparison only; its failure to start must not touch the primary.
    await deps.dispatch(shadow.id).catch((error: unknown) => log.warn({ err: error, shadowRunId: shadow?.id }, 'shadow leg did not start'));
  }

  try {
    await context.tracker.addMarker(item, phase === 'plan' ? 'planning' : 'working');
    await context.tracker.transition(item, 'in-progress');
    await context.tracker.ensureComment(
      item,
      statusCommentKey(run.id),
      `🤖 AI-Implement started ${phase === 'plan' ? 'planning' : 'working on'} this ticket (run ${run.id}, dispatch #${dispatchNumber}, ${run.backend}).\n\nFollow it here: ${deps.runUrl(run.id)}`,
    );
  } catch (error) {
    // The run is live either way; the ticket catches up on the next write (all writes are idempotent).
    log.warn({ err: error }, 'ticket update on dispatch failed');
  }
  return shadow ? { run, shadow } : { run };
}
