import { dispatchLeaseFor } from '../domain/dispatch-lease.js';
import type { Run, RunStatus } from '../domain/run.js';
import { ConflictError } from '../errors/index.js';
import { holderOf, policyOf, type DispatchDeps, type DispatchOutcome } from './dispatch-deps.js';
import { reconcileDispatching } from './dispatch-reconcile.js';
import { targetOf } from './dispatch-resolve.js';
import { settleLostRunner } from './settle-lost-runner.js';
import { settleRunOutcome, type SettleDeps } from './settle-run-outcome.js';

export interface RecoveryReport {
  /** Runs whose job died with the previous process, now `interrupted`. */
  interrupted: string[];
  /** The new runs (source `retry`) claimed for them, to be dispatched now. */
  retries: string[];
  /** Runs whose job ended upstream without a result while nobody listened: settled as lost. */
  lost: string[];
  /** Runs stuck in `claimed` by the crash, reconciled now rather than after the stale delay. */
  reconciled: DispatchOutcome[];
}

/**
 * At start, before the first cycle: every live run was owned by the process
 * that stopped. A job that outlives the orchestrator (Actions, Fly) is asked
 * about and left alone while it runs; one that ended without a result is
 * settled now. A job that died with it (a local runner, killed with its
 * container or left orphaned) is stopped if anything of it is left, its
 * workspace removed, the run marked `interrupted` and its retry claimed for
 * the caller to dispatch. Runs caught between intent and record are
 * reconciled at once: no dispatch of this new process can be in flight —
 * except those another live replica holds the dispatch lease of, which are
 * left to it (should it die, its lease lapses and the leader settles them).
 */
export async function recoverInterruptedRuns(deps: DispatchDeps, settle: SettleDeps, startedAt: number): Promise<RecoveryReport> {
  const report: RecoveryReport = { interrupted: [], retries: [], lost: [], reconciled: [] };
  // First the runs the crash caught between intent and record: every one last written before this process
  // started, without the stale delay (a run this process claimed meanwhile is its own dispatch's business).
  report.reconciled = await reconcileDispatching({ ...deps, policy: { ...deps.policy, staleAfterMs: Math.max(0, deps.clock() - startedAt) } });
  const live = await deps.store.runs.listActiveRuns({ status: ['launching', 'running'] satisfies RunStatus[] });
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
      const retryId = await interrupt(deps, settle, run, target.mapping.maxJobMinutes);
      if (retryId) {
        report.interrupted.push(run.id);
        report.retries.push(retryId);
      }
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
 * Marks the run `interrupted` (its job died with the previous process) and,
 * while attempts remain, claims its retry: a new run for the same ticket and
 * phase, source `retry`, `retryOf` naming the interrupted one, one attempt
 * further (so the old attempt's tokens stay refused), for the caller to
 * dispatch at once. Past the attempt limit the run stays `interrupted` and the
 * ticket is told, like any run that ended without a result.
 */
async function interrupt(deps: DispatchDeps, settle: SettleDeps, run: Run, maxJobMinutes: number): Promise<string | undefined> {
  const policy = policyOf(deps);
  const now = new Date(deps.clock()).toISOString();
  const exhausted = run.attempt >= policy.maxAttempts;
  let interrupted: Run;
  try {
    interrupted = await deps.store.runs.updateRun(
      run.id,
      {
        status: 'interrupted',
        failureReason: exhausted ? `Its job ended with the orchestrator process ${run.attempt} times` : 'Its job ended with the previous orchestrator process',
        failedStep: 'runner',
        finishedAt: now,
      },
      { expectStatus: ['launching', 'running'] satisfies RunStatus[], expectAttempt: run.attempt },
    );
  } catch (error) {
    // Its result arrived meanwhile: nothing was lost.
    if (error instanceof ConflictError) return undefined;
    throw error;
  }
  let retry: Run | undefined;
  if (!exhausted) {
    const claim = await deps.store.runs.claimTicket({
      issueId: run.issueId,
      identifier: run.identifier,
      ...(run.title !== undefined ? { title: run.title } : {}),
      tracker: run.tracker,
      mappingKey: run.mappingKey,
      phase: run.phase,
      backend: run.backend,
      runnerMode: run.runnerMode,
      triggerSource: 'retry',
      status: 'claimed',
      attempt: run.attempt + 1,
      dispatchNumber: run.dispatchNumber + 1,
      deadlineAt: new Date(deps.clock() + maxJobMinutes * 60_000).toISOString(),
      retryOf: run.id,
      // Held by this replica while it dispatches the retry: no other replica reconciles it meanwhile.
      dispatchLease: dispatchLeaseFor(holderOf(deps), deps.clock(), policy.staleAfterMs),
      ...(run.instructions !== undefined ? { instructions: run.instructions } : {}),
      ...(run.shadowOf !== undefined ? { shadowOf: run.shadowOf } : {}),
    });
    if (claim.claimed) {
      retry = claim.run;
      // A follow-up works on the pull request its interrupted run had.
      if (run.prNumber !== undefined || run.branch !== undefined) {
        retry = await deps.store.runs.updateRun(retry.id, { prNumber: run.prNumber, branch: run.branch, prUrl: run.prUrl }, { expectStatus: 'claimed' });
      }
      // The ticket's ledger row follows its newest dispatch, so the retry's own outcome is counted.
      const entry = run.shadowOf ? undefined : await deps.store.dedup.get(run.issueId);
      if (entry && entry.runId === run.id) await deps.store.dedup.put(run.issueId, { ...entry, runId: retry.id, dispatchNumber: retry.dispatchNumber });
    }
  } else {
    try {
      await settle.announceEnd?.(interrupted);
    } catch (error) {
      deps.log.error({ err: error, runId: run.id }, 'could not write the end of an interrupted run on its ticket');
    }
    await settleRunOutcome(settle, interrupted);
  }
  await deps.store.audit.append({
    at: now,
    actor: 'orchestrator',
    action: 'run.interrupted',
    target: run.id,
    after: { attempt: run.attempt, backend: run.backend, reason: 'its job ended with the previous orchestrator process', ...(retry ? { retriedAs: retry.id } : {}) },
  });
  return retry?.id;
}
