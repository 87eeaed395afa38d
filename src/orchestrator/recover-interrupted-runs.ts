import { dispatchLeaseFor } from '../domain/dispatch-lease.js';
import type { Run } from '../domain/run.js';
import { ConflictError } from '../errors/index.js';
import { holderOf, policyOf, type DispatchDeps, type DispatchOutcome } from './dispatch-deps.js';
import { reconcileDispatching } from './dispatch-reconcile.js';
import { targetOf } from './dispatch-resolve.js';
import { settleLostRunner } from './settle-lost-runner.js';
import { settleRunOutcome, type SettleDeps } from './settle-run-outcome.js';

export interface RecoveryReport {
  /** Runs whose job died with the previous process: their next attempt's intent is written, to be dispatched now. */
  interrupted: string[];
  /** Runs whose job ended upstream without a result while nobody listened: settled as lost. */
  lost: string[];
  /** Runs stuck in `dispatching` by the crash, reconciled now rather than after the stale delay. */
  reconciled: DispatchOutcome[];
}

/**
 * At start, before the first cycle: every live run was owned by the process
 * that stopped. A job that outlives the orchestrator (Actions, Fly) is asked
 * about and left alone while it runs; one that ended without a result is
 * settled now. A job that died with it (a local runner, killed with its
 * container or left orphaned) is stopped if anything of it is left, its
 * workspace removed, and the intent of the run's next attempt written for
 * the caller to dispatch. Runs caught between intent and record are
 * reconciled at once: no dispatch of this new process can be in flight —
 * except those another live replica holds the dispatch lease of, which are
 * left to it (should it die, its lease lapses and the leader settles them).
 */
export async function recoverInterruptedRuns(deps: DispatchDeps, settle: SettleDeps, startedAt: number): Promise<RecoveryReport> {
  const report: RecoveryReport = { interrupted: [], lost: [], reconciled: [] };
  // First the runs the crash caught between intent and record: every one last written before this process
  // started, without the stale delay (a run this process claimed meanwhile is its own dispatch's business).
  report.reconciled = await reconcileDispatching({ ...deps, policy: { ...deps.policy, staleAfterMs: Math.max(0, deps.clock() - startedAt) } });
  const live = await deps.store.runs.listActiveRuns({ status: ['dispatched', 'running'] });
  for (const run of live) {
    if (Date.parse(run.updatedAt) >= startedAt) continue;
    try {
      const target = await targetOf(deps, run);
      if ('problem' in target) continue;
      const upstream = await target.backend.find(run.id, target.mapping).catch(() => 'unknown' as const);
      if (upstream === 'unknown' || upstream?.state === 'pending' || upstream?.state === 'running') continue;
      if (upstream && run.upstreamId) {
        const settled = await settleLostRunner(settle, { runId: run.id, upstreamId: run.upstreamId, reason: `ended (${upstream.state}) while the orchestrator was down` });
        if (settled) report.lost.push(run.id);
        continue;
      }
      if (run.upstreamId) await target.backend.abandon?.(run.upstreamId, run.id);
      if (await interrupt(deps, settle, run, target.mapping.maxJobMinutes)) report.interrupted.push(run.id);
    } catch (error) {
      deps.log.error({ runId: run.id, err: error }, 'could not recover a run interrupted by the restart');
    }
  }
  await Promise.all(Object.values(deps.backends).map((backend) => backend?.sweep?.()));
  if (report.interrupted.length + report.lost.length + report.reconciled.length > 0) {
    deps.log.warn({ interrupted: report.interrupted.length, lost: report.lost.length, reconciled: report.reconciled.length }, 'recovered runs interrupted by the restart');
  }
  return report;
}

/**
 * The next attempt's intent (`dispatching`, attempt + 1, a fresh deadline), for the caller to dispatch at once;
 * past the attempt limit the run fails like any dispatch that kept failing.
 */
async function interrupt(deps: DispatchDeps, settle: SettleDeps, run: Run, maxJobMinutes: number): Promise<boolean> {
  const policy = policyOf(deps);
  const now = new Date(deps.clock()).toISOString();
  const exhausted = run.attempt >= policy.maxAttempts;
  try {
    const updated = await deps.store.runs.updateRun(
      run.id,
      exhausted
        ? { status: 'failed', failureReason: `Its job ended with the orchestrator process ${run.attempt} times`, failedStep: 'runner', finishedAt: now }
        : {
            status: 'dispatching',
            attempt: run.attempt + 1,
            dispatchNumber: run.dispatchNumber + 1,
            deadlineAt: new Date(deps.clock() + maxJobMinutes * 60_000).toISOString(),
            dispatchLease: dispatchLeaseFor(holderOf(deps), deps.clock(), policy.staleAfterMs),
          },
      { expectStatus: ['dispatched', 'running'], expectAttempt: run.attempt },
    );
    if (exhausted) await settleRunOutcome(settle, updated);
  } catch (error) {
    // Its result arrived meanwhile: nothing was lost.
    if (error instanceof ConflictError) return false;
    throw error;
  }
  await deps.store.audit.append({ at: now, actor: 'orchestrator', action: 'run.interrupted', target: run.id, after: { attempt: run.attempt + 1, backend: run.backend, reason: 'its job ended with the previous orchestrator process' } });
  return true;
}
