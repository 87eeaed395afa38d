import type { Logger } from 'pino';
import { findStartRefusal } from '../domain/budget.js';
import { ConflictError, NotFoundError } from '../errors/index.js';
import { PAUSED_TICKET_PREFIX, type BudgetGuard, type PausedTicket } from '../orchestrator/budget-guard.js';
import type { Trackers } from '../orchestrator/pending-ticket-writes.js';
import type { Store } from '../store/store.js';
import { recordAdminChange } from './record-admin-change.js';

export interface ResumeTicketDeps {
  store: Store;
  trackers: Trackers;
  budget: BudgetGuard;
  clock: () => number;
  log: Logger;
  /** Asks intake to look at the ticket now rather than at the next poll. */
  requestEvaluation?: (ref: { tracker: PausedTicket['tracker']; issueId: string }) => void;
}

export interface ResumedTicket {
  issueId: string;
  identifier: string;
  mappingKey: string;
  /** What the ticket has spent so far, and the limit that now lets it go on (absent: no per-ticket limit). */
  spentUsd: number;
  perTicketUsd?: number;
}

/**
 * An operator's resume of a ticket a spend limit paused: refused while the
 * limit is still reached (raise it first, PATCH the mapping), else the pause
 * marker comes off, the ticket's dedup row is cleared so the planner takes it
 * at once, and the change is audited. `ticket` is the identifier or the id.
 */
export function createResumeTicket(deps: ResumeTicketDeps): (ticket: string, actor: string) => Promise<ResumedTicket> {
  const { store, clock } = deps;
  return async (ticket, actor) => {
    const paused = (await deps.budget.listPaused()).find((p) => p.issueId === ticket || p.identifier.toLowerCase() === ticket.toLowerCase());
    if (!paused) throw new NotFoundError(`Ticket ${ticket} is not paused by a spend limit; the paused tickets are listed on the Blockers panel and by GET /api/tickets/paused.`);
    const mapping = await store.mappings.get(paused.mappingKey);
    if (!mapping) throw new ConflictError(`Project ${paused.mappingKey} of ${paused.identifier} no longer exists, so the ticket cannot be resumed.`);
    const spentUsd = await deps.budget.ticketSpend(paused.issueId);
    const still = findStartRefusal(mapping.budget, { ticketUsd: spentUsd, monthUsd: await deps.budget.monthSpend(mapping.teamKey) }, { ticket: paused.identifier, mapping: mapping.teamKey });
    if (still) {
      throw new ConflictError(`${still.reason}. Raise the limit first, e.g. PATCH /api/mappings/${mapping.teamKey} with {"budget": {"${still.limit}": ${Math.ceil(still.spentUsd * 2)}}}, then resume.`);
    }
    const tracker = deps.trackers[paused.tracker];
    if (!tracker) throw new ConflictError(`No ${paused.tracker} tracker is configured, so ${paused.identifier} cannot be resumed.`);
    const item = await tracker.getItem(paused.issueId);
    if (!item) throw new NotFoundError(`Ticket ${paused.identifier} no longer exists in ${paused.tracker}.`);
    // The marker first: if the tracker refuses, the record stays and the operator can try again.
    await tracker.removeMarker(item, 'paused');
    await store.settings.delete(PAUSED_TICKET_PREFIX + paused.issueId);
    await store.dedup.delete(paused.issueId);
    await recordAdminChange(store.audit, clock, {
      actor,
      action: 'ticket.resume',
      target: `ticket:${paused.identifier}`,
      before: { reason: paused.reason, pausedAt: paused.pausedAt },
      after: { spentUsd, ...(mapping.budget?.perTicketUsd !== undefined ? { perTicketUsd: mapping.budget.perTicketUsd } : {}) },
    });
    deps.log.info({ issue: paused.identifier, mapping: mapping.teamKey }, 'ticket resumed after a spend limit');
    deps.requestEvaluation?.({ tracker: paused.tracker, issueId: paused.issueId });
    return {
      issueId: paused.issueId,
      identifier: paused.identifier,
      mappingKey: mapping.teamKey,
      spentUsd,
      ...(mapping.budget?.perTicketUsd !== undefined ? { perTicketUsd: mapping.budget.perTicketUsd } : {}),
    };
  };
}
