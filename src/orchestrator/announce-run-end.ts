import type { Run } from '../domain/run.js';
import type { Store } from '../store/store.js';
import { planResultTicketWrites } from './finish-run.js';
import type { PendingTicketWrites } from './pending-ticket-writes.js';
import type { Redact, RunStatusPublisher } from './record-progress.js';

export interface RunEndAnnouncerOptions {
  store: Store;
  pending: PendingTicketWrites;
  publisher: RunStatusPublisher;
  redact: Redact;
}

/** Writes a run's end on its ticket; resolves with the writes that failed and were queued for a retry. */
export type AnnounceRunEnd = (run: Run) => Promise<string[]>;

/**
 * The ticket writes for a run that ended without a result (its runner died,
 * was killed or stopped): the same ones the finisher makes for a failed or
 * cancelled result — the status comment shows the end and its reason, the
 * busy marker comes off — so the ticket never keeps saying "Running" for a
 * job that is gone. Failed writes are queued like the finisher's.
 */
export function createRunEndAnnouncer(options: RunEndAnnouncerOptions): AnnounceRunEnd {
  const { store, pending, publisher, redact } = options;
  return async (run) => {
    if (run.status !== 'failed' && run.status !== 'cancelled' && run.status !== 'timed_out' && run.status !== 'interrupted') return [];
    const statusComment = await publisher.render(run);
    const mapping = await store.mappings.get(run.mappingKey);
    const writes = planResultTicketWrites(run, { runId: run.id, attempt: run.attempt, outcome: run.status === 'cancelled' ? 'cancelled' : 'failed' }, statusComment, redact, { autoApprovePlans: mapping?.autoApprovePlans ?? false });
    const warnings = await pending.apply(writes);
    publisher.forget(run.id);
    return warnings;
  };
}
