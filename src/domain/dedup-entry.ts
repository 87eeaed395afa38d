/** A ledger row saying "this ticket was dispatched recently; do not pick it up again". */
export interface DedupEntry {
  issueId: string;
  identifier: string;
  title?: string;
  runId: string;
  dispatchedAt: string;
  expiresAt: string;
}
