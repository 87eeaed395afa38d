import type { RunStatus } from './run.js';

export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled'];

export const ACTIVE_RUN_STATUSES: readonly RunStatus[] = [
  'queued',
  'dispatching',
  'dispatched',
  'running',
];

/**
 * Allowed moves. Going back to `dispatching` from `dispatched`/`running` is a
 * re-dispatch (a lost machine or an ambiguous backend answer), and
 * `dispatching` → `queued` is a back-off when the backend refused for now.
 * Terminal states have no way out: a retry is a new run.
 */
const TRANSITIONS: Record<RunStatus, readonly RunStatus[]> = {
  queued: ['dispatching', 'failed', 'cancelled'],
  dispatching: ['queued', 'dispatched', 'running', 'succeeded', 'failed', 'cancelled'],
  dispatched: ['dispatching', 'running', 'succeeded', 'failed', 'cancelled'],
  running: ['dispatching', 'succeeded', 'failed', 'cancelled'],
  succeeded: [],
  failed: [],
  cancelled: [],
};

/** Every status, live ones first: for validators, filters and the summary cards (never a hand-written list). */
export const RUN_STATUSES: readonly [RunStatus, ...RunStatus[]] = [ACTIVE_RUN_STATUSES[0]!, ...ACTIVE_RUN_STATUSES.slice(1), ...TERMINAL_RUN_STATUSES];

export function isTerminal(status: RunStatus): boolean {
  return TERMINAL_RUN_STATUSES.includes(status);
}

/** Staying in the same non-terminal status is allowed (heartbeats, field patches). */
export function canTransition(from: RunStatus, to: RunStatus): boolean {
  if (from === to) return !isTerminal(from);
  return TRANSITIONS[from].includes(to);
}

export function allowedTransitions(from: RunStatus): readonly RunStatus[] {
  return TRANSITIONS[from];
}
