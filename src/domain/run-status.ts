import { RUN_STATUSES, type Run, type RunStatus, type RunTransition } from './run.js';

/**
 * The run lifecycle as one state machine. Every status change of every store
 * goes through `assertTransition` (in `store/core/run-records.ts` and the
 * delete of each store), and each change is recorded on the run with
 * `recordTransition`.
 */

/** Statuses that hold their ticket's slot (the one live run per ticket and phase). */
export const ACTIVE_RUN_STATUSES: readonly RunStatus[] = ['queued', 'claimed', 'launching', 'running', 'retrying'];

/** Statuses a run ends in; `deleted` only leaves a tombstone. */
export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = ['pr_opened', 'succeeded', 'failed', 'timed_out', 'cancelled', 'interrupted', 'deleted'];

/** Ended without the work done: what retry accounting counts and what an operator may retry. */
export const UNSUCCESSFUL_RUN_STATUSES: readonly RunStatus[] = ['failed', 'timed_out', 'interrupted'];

/** Ended with the work done. */
export const SUCCESSFUL_RUN_STATUSES: readonly RunStatus[] = ['pr_opened', 'succeeded'];

const ENDINGS: readonly RunStatus[] = ['pr_opened', 'succeeded', 'failed', 'timed_out', 'cancelled'];

/**
 * Allowed moves. `claimed` → `retrying` is the back-off when the backend could
 * not be reached or refused for now, `retrying` → `claimed` the next try.
 * Going back to `claimed` from `launching`/`running` is a re-dispatch (a lost
 * machine, an ambiguous backend answer). A result can arrive before the
 * backend's answer was recorded, so `claimed` may end directly. Only a job
 * that started can be `interrupted` (crash recovery); a finished run can only
 * be deleted, and a deleted one has no way out: a retry is a new run.
 */
const TRANSITIONS: Record<RunStatus, readonly RunStatus[]> = {
  queued: ['claimed', 'failed', 'cancelled'],
  claimed: ['retrying', 'launching', 'running', ...ENDINGS],
  retrying: ['claimed', 'failed', 'cancelled'],
  launching: ['claimed', 'running', ...ENDINGS, 'interrupted'],
  running: ['claimed', ...ENDINGS, 'interrupted'],
  pr_opened: ['deleted'],
  succeeded: ['deleted'],
  failed: ['deleted'],
  timed_out: ['deleted'],
  cancelled: ['deleted'],
  interrupted: ['deleted'],
  deleted: [],
};

/** How many transitions a run keeps: enough for every re-dispatch a run may go through, bounded for a looping one. */
export const RUN_TRANSITIONS_KEPT = 50;

/** Old status names (before issue 19) and the names that replaced them; only migrations and input checks use it. */
export const RENAMED_RUN_STATUSES: Readonly<Record<string, string>> = {
  dispatching: 'claimed',
  dispatched: 'launching',
};

export function isRunStatus(value: unknown): value is RunStatus {
  return typeof value === 'string' && (RUN_STATUSES as readonly string[]).includes(value);
}

export function isTerminal(status: RunStatus): boolean {
  return TERMINAL_RUN_STATUSES.includes(status);
}

export function isActive(status: RunStatus): boolean {
  return ACTIVE_RUN_STATUSES.includes(status);
}

/** Staying in the same non-terminal status is allowed (heartbeats, field patches). */
export function canTransition(from: RunStatus, to: RunStatus): boolean {
  if (from === to) return !isTerminal(from);
  return TRANSITIONS[from].includes(to);
}

export function allowedTransitions(from: RunStatus): readonly RunStatus[] {
  return TRANSITIONS[from];
}

/** Why `from` → `to` is refused, naming the moves there are; undefined when it is legal. */
export function transitionRefusal(from: RunStatus, to: RunStatus, runId?: string): string | undefined {
  if (canTransition(from, to)) return undefined;
  const moves = allowedTransitions(from);
  return `${runId ? `run ${runId}` : 'a run'} cannot go ${from} → ${to}; ${moves.length > 0 ? `from ${from} it may go to ${moves.join(', ')}` : `${from} is final`}`;
}

/**
 * The run's transitions with `from` → `to` appended (none for a same-status
 * patch), keeping the newest RUN_TRANSITIONS_KEPT.
 */
export function recordTransition(run: Pick<Run, 'transitions'>, from: RunStatus, to: RunStatus, at: string, reason?: string): RunTransition[] | undefined {
  if (from === to) return run.transitions;
  const entry: RunTransition = { from, to, at, ...(reason ? { reason: reason.length > 300 ? `${reason.slice(0, 300)}…` : reason } : {}) };
  return [...(run.transitions ?? []), entry].slice(-RUN_TRANSITIONS_KEPT);
}

/**
 * The status a run ends in when its runner reports `outcome`: a success is
 * `pr_opened` when there is a pull request and `succeeded` otherwise (a plan).
 */
export function finishedStatus(outcome: 'succeeded' | 'failed' | 'cancelled', prUrl: string | undefined): RunStatus {
  if (outcome !== 'succeeded') return outcome;
  return prUrl ? 'pr_opened' : 'succeeded';
}
