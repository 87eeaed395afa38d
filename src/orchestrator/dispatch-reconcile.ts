import { leaseHeldByOther, leaseLapsed } from '../domain/dispatch-lease.js';
import type { DispatchDeps, DispatchOutcome } from './dispatch-deps.js';
import { holderOf, policyOf } from './dispatch-deps.js';
import { describeError, failRun, lookupUpstream, recordDispatched, requeueRun, targetOf } from './dispatch-resolve.js';

/**
 * Settles runs stuck in `claimed`: the dispatcher died between the intent
 * and the record, or its POST got no answer and the job had not shown up.
 * Only runs unchanged for `staleAfterMs` (and not in flight here) are touched,
 * so a dispatch still waiting on its answer is never second-guessed. A run
 * whose dispatch lease another replica still holds is left to it, whatever
 * its age; one whose lease lapsed (its dispatcher died) is settled at once. Nothing
 * is posted: found upstream → `launching`; known absent → re-queued as the
 * next attempt; lookup failing → left for the next cycle.
 */
export async function reconcileDispatching(deps: DispatchDeps): Promise<DispatchOutcome[]> {
  const policy = policyOf(deps);
  const now = deps.clock();
  const stuck = await deps.store.runs.listActiveRuns({ status: 'claimed' });
  const outcomes: DispatchOutcome[] = [];
  for (const run of stuck) {
    if (deps.inFlight?.has(run.id)) continue;
    if (leaseHeldByOther(run, holderOf(deps), now)) continue;
    if (!leaseLapsed(run, now) && now - Date.parse(run.updatedAt) < policy.staleAfterMs) continue;
    deps.inFlight?.add(run.id);
    try {
      const target = await targetOf(deps, run);
      if ('problem' in target) {
        outcomes.push(await failRun(deps, run, target.problem));
        continue;
      }
      const lookup = await lookupUpstream(deps, target.backend, run, target.mapping);
      if (lookup.upstream) {
        outcomes.push(await recordDispatched(deps, run, lookup.upstream, 'lookup', target.mapping, target.backend));
      } else if (lookup.error !== undefined) {
        outcomes.push({ kind: 'unresolved', run, reason: `lookup failed: ${describeError(lookup.error)}` });
      } else {
        // A new attempt: should the lost job surface after all, its tokens are stale.
        outcomes.push(await requeueRun(deps, run, 'stuck in claimed and not found upstream'));
      }
    } catch (error) {
      deps.log.error({ runId: run.id, err: error }, 'reconciling a dispatching run failed');
      outcomes.push({ kind: 'unresolved', run, reason: String(error) });
    } finally {
      deps.inFlight?.delete(run.id);
    }
  }
  return outcomes;
}
