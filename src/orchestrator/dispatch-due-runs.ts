import type { Run } from '../domain/run.js';
import { ConflictError } from '../errors/index.js';
import { backoffFor, policyOf, type DispatchDeps, type DispatchOutcome } from './dispatch-deps.js';
import { reconcileDispatching } from './dispatch-reconcile.js';
import { dispatchRun } from './dispatch-run.js';
import { targetOf } from './dispatch-resolve.js';

export interface DispatchPassResult {
  reconciled: DispatchOutcome[];
  dispatched: DispatchOutcome[];
  /** Queued runs still inside their back-off. */
  waiting: number;
}

/** When a queued run may go again: its recorded retry time, else its back-off counted from when it was re-queued. */
export function dispatchDueAt(run: Run, deps: DispatchDeps): number {
  return run.retryAt ? Date.parse(run.retryAt) : Date.parse(run.updatedAt) + backoffFor(run.attempt, policyOf(deps));
}

/**
 * One dispatcher pass, for each cycle: settle stale `claimed` runs, then
 * take queued and retrying runs whose back-off has passed and dispatch them (at most
 * `concurrency` calls open at once).
 */
export async function dispatchDueRuns(deps: DispatchDeps, options: { concurrency?: number } = {}): Promise<DispatchPassResult> {
  const reconciled = await reconcileDispatching(deps);
  const now = deps.clock();
  const queued = await deps.store.runs.listActiveRuns({ status: ['queued', 'retrying'] });
  const due = queued.filter((run) => dispatchDueAt(run, deps) <= now);
  const dispatched = await mapLimited(due, options.concurrency ?? 4, (run) =>
    // One run's store or backend trouble must not stop the pass for the others.
    redispatchQueuedRun(deps, run).catch((error: unknown): DispatchOutcome => {
      deps.log.error({ runId: run.id, err: error }, 're-dispatch failed');
      return { kind: 'unresolved', run, reason: String(error) };
    }),
  );
  return { reconciled, dispatched, waiting: queued.length - due.length };
}

/**
 * Writes the new intent (`queued` or `retrying` → `claimed`, compare-and-set on the
 * attempt, with a fresh deadline) and dispatches it. Losing the race to
 * another dispatcher is a skip, not an error.
 */
export async function redispatchQueuedRun(deps: DispatchDeps, run: Run): Promise<DispatchOutcome> {
  const target = await targetOf(deps, run);
  const minutes = 'mapping' in target ? target.mapping.maxJobMinutes : 60;
  try {
    await deps.store.runs.updateRun(
      run.id,
      { status: 'claimed', deadlineAt: new Date(deps.clock() + minutes * 60_000).toISOString() },
      { expectStatus: run.status, expectAttempt: run.attempt },
    );
  } catch (error) {
    if (error instanceof ConflictError) return { kind: 'skipped', runId: run.id, reason: error.message };
    throw error;
  }
  return dispatchRun(deps, run.id);
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
