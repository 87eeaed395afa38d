import type { RunPhase } from './run.js';

/** A ledger row saying "this ticket was dispatched recently; do not pick it up again". */
export interface DedupEntry {
  issueId: string;
  identifier: string;
  title?: string;
  runId: string;
  dispatchedAt: string;
  expiresAt: string;
  /** Consecutive failed runs of this ticket; the entry then expires after a back-off instead of the window. */
  failures?: number;
  /** Dispatch number of the latest run, so a re-dispatch carries the next one. */
  dispatchNumber?: number;
  /**
   * The phase the latest run was dispatched for. The row holds the ticket only
   * for that phase: an approved plan moves it on to implementation at once.
   * Absent in rows written before it was recorded (they hold every phase).
   */
  phase?: RunPhase;
}
