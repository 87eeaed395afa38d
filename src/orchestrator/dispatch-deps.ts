import type { Logger } from 'pino';
import type { Mapping } from '../domain/mapping.js';
import type { Run, RunBackend } from '../domain/run.js';
import type { RunTokenIssuer } from '../domain/runner-protocol.js';
import type { RunnerBackend, UpstreamRun } from '../runners/runner-backend.js';
import type { Store } from '../store/store.js';

export interface DispatchPolicy {
  /** `find` calls after a failed dispatch before concluding (lookups are idempotent). */
  lookupAttempts: number;
  /** First pause between lookups; doubles each time. */
  lookupBackoffMs: number;
  /** Dispatch attempts of one run before it is failed instead of re-queued. */
  maxAttempts: number;
  /** Back-off before the second attempt; doubles per attempt up to `maxBackoffMs`. */
  baseBackoffMs: number;
  maxBackoffMs: number;
  /**
   * A run in `claimed` that has not changed for this long is presumed
   * abandoned (its dispatcher died or got no answer) and is reconciled. Longer
   * than any dispatch call, so a live dispatcher is never second-guessed.
   */
  staleAfterMs: number;
}

export const DEFAULT_DISPATCH_POLICY: DispatchPolicy = {
  lookupAttempts: 4,
  lookupBackoffMs: 250,
  maxAttempts: 5,
  baseBackoffMs: 30_000,
  maxBackoffMs: 15 * 60_000,
  staleAfterMs: 2 * 60_000,
};

export interface DispatchDeps {
  store: Store;
  backends: Partial<Record<RunBackend, RunnerBackend>>;
  tokens: RunTokenIssuer;
  clock: () => number;
  log: Logger;
  /** Base URL runners call back to. */
  orchestratorUrl: string;
  /** The mapping's secrets in clear for a backend that hands them over at creation (Fly, local); none for GitHub Actions. */
  secretsFor: (mapping: Mapping, backend: RunBackend) => Promise<Record<string, string>>;
  policy?: Partial<DispatchPolicy>;
  /**
   * Run ids this process is dispatching right now. Share one set between
   * `dispatchRun` and `reconcileDispatching` so a cycle never reconciles a run
   * whose dispatch call is still open; it also stops a second concurrent
   * `dispatchRun` of the same run in this process.
   */
  inFlight?: Set<string>;
  /**
   * This replica's id (the coordination's): the holder of the dispatch leases
   * it takes, and the claim holder recorded on the runs it dispatches
   * (`claimedBy`). A lease lasts `policy.staleAfterMs`. Unset: one process, `local`.
   */
  replicaId?: string;
  sleep?: (ms: number) => Promise<void>;
}

/** What happened to one run; dispatching never throws for an upstream failure. */
export type DispatchOutcome =
  | { kind: 'dispatched'; run: Run; upstream: UpstreamRun; via: 'answer' | 'lookup' }
  /** Upstream refused and nothing started: back in `queued` with attempt + 1, due at `retryAt`. */
  | { kind: 'requeued'; run: Run; retryAt: string; reason: string }
  | { kind: 'failed'; run: Run; reason: string }
  /** Outcome unknown (no answer and the lookup found nothing yet): left in `claimed` for reconciliation. */
  | { kind: 'unresolved'; run: Run; reason: string }
  /** Not ours to act on: missing, not in `claimed`, or moved on by someone else. */
  | { kind: 'skipped'; runId: string; reason: string };

export function policyOf(deps: DispatchDeps): DispatchPolicy {
  return { ...DEFAULT_DISPATCH_POLICY, ...deps.policy };
}

/** The replica id dispatch leases are taken under. */
export function holderOf(deps: DispatchDeps): string {
  return deps.replicaId ?? 'local';
}

export function sleepOf(deps: DispatchDeps): (ms: number) => Promise<void> {
  return deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
}

/** When a queued run of this attempt may be dispatched again. */
export function backoffFor(attempt: number, policy: DispatchPolicy): number {
  if (attempt <= 1) return 0;
  return Math.min(policy.maxBackoffMs, policy.baseBackoffMs * 2 ** (attempt - 2));
}
