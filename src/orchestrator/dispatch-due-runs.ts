import { QUEUED_STATUSES, queueDueAt } from '../domain/dispatch-lease.js';
import type { Run } from '../domain/run.js';
import { holderOf, policyOf, type DispatchDeps, type DispatchOutcome } from './dispatch-deps.js';
import { reconcileDispatching } from './dispatch-reconcile.js';
import { dispatchRun } from './dispatch-run.js';

export interface DispatchPassResult {
  reconciled: DispatchOutcome[];
  dispatched: DispatchOutcome[];
  /** Queued runs still inside their back-off. */
  waiting: number;
}

export interface DispatchPassOptions {
  /** Dispatch calls open at once. */
  concurrency?: number;
  /** Runs taken from the queue per pass. */
  batch?: number;
  /**
   * Settle stale `dispatching` runs first (true by default). With several
   * replicas only the leader reconciles; every replica takes from the queue.
   */
  reconcile?: boolean;
}

/** When a queued run may go again: its recorded retry time (a re-queue always writes one), else its last write. */
export function dispatchDueAt(run: Run, _deps?: DispatchDeps): number {
  return queueDueAt(run);
}

/**
 * One dispatcher pass: settle stale `claimed` runs, then take the queued and
 * retrying runs that are due from the store's dispatch queue, each under this
 * replica's lease, and dispatch them (at most `concurrency` calls open at
 * once). Any replica may run it: the queue hands each run to one taker; one
 * that dies mid-dispatch leaves the run `claimed` under a lease that
 * lapses, and the leader's reconcile settles it then.
 */
export async function dispatchDueRuns(deps: DispatchDeps, options: DispatchPassOptions = {}): Promise<DispatchPassResult> {
  const reconciled = options.reconcile === false ? [] : await reconcileDispatching(deps);
  const taken = await deps.store.runs.leaseDueRuns({ holder: holderOf(deps), leaseMs: policyOf(deps).staleAfterMs, limit: options.batch ?? 50 });
  const dispatched = await mapLimited(taken, options.concurrency ?? 4, (run) =>
    // One run's store or backend trouble must not stop the pass for the others.
    dispatchRun(deps, run.id).catch((error: unknown): DispatchOutcome => {
      deps.log.error({ runId: run.id, err: error }, 're-dispatch failed');
      return { kind: 'unresolved', run, reason: String(error) };
    }),
  );
  const waiting = (await deps.store.runs.listActiveRuns({ status: [...QUEUED_STATUSES] })).length;
  return { reconciled, dispatched, waiting };
}

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
