import type { DispatchLease, Run, RunStatus } from './run.js';

/**
 * The statuses of a run waiting in the dispatch queue (never tried, or backing
 * off after the backend could not take it), and the one a dispatch is made from.
 */
export const QUEUED_STATUSES: readonly RunStatus[] = ['queued', 'retrying'];
export const DISPATCHING_STATUS: RunStatus = 'claimed';

/** A lease for `holder` from `now` for `leaseMs`. */
export function dispatchLeaseFor(holder: string, now: number, leaseMs: number): DispatchLease {
  return { holder, until: new Date(now + leaseMs).toISOString() };
}

/** When a queued run is due in the dispatch queue: its recorded retry time, else when it was last written. */
export function queueDueAt(run: Run): number {
  return Date.parse(run.retryAt ?? run.updatedAt);
}

/**
 * Whether another replica still holds the dispatch of this run: then nobody
 * else may reconcile it. A lease of this replica's own does not count (its
 * in-flight set says whether the dispatch is still open here).
 */
export function leaseHeldByOther(run: Run, replicaId: string, now: number): boolean {
  const lease = run.dispatchLease;
  return lease !== undefined && lease.holder !== replicaId && Date.parse(lease.until) > now;
}

/** Whether the run carries a dispatch lease that ran out: its dispatcher stopped without recording an answer. */
export function leaseLapsed(run: Run, now: number): boolean {
  return run.dispatchLease !== undefined && Date.parse(run.dispatchLease.until) <= now;
}

/**
 * The queued runs a dispatcher takes now, oldest due first, and each one as it
 * is written when taken: in `dispatching` under the lease, without its old
 * deadline (the dispatch sets a fresh one from its mapping).
 */
export function pickDueRuns(runs: readonly Run[], now: number, limit: number): Run[] {
  return runs
    .filter((run) => QUEUED_STATUSES.includes(run.status) && queueDueAt(run) <= now)
    .sort((a, b) => queueDueAt(a) - queueDueAt(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, Math.max(0, limit));
}
