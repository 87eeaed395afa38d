import { jiraIssueKeyOf } from '../trackers/jira/index.js';
import { linearIssueIdOf } from '../trackers/linear/index.js';
import type { DeliveryHandler } from './inbox-worker.js';
import type { TicketRef } from './intake-cycle.js';

/**
 * Turns Linear and Jira webhook deliveries into "evaluate this ticket now".
 * Which changes matter (label added, state changed, assigned to the app user)
 * is the planner's business: any issue event re-evaluates its ticket, and an
 * ineligible ticket simply plans to nothing.
 */

export function linearTicketOf(payload: unknown): TicketRef | undefined {
  const issueId = linearIssueIdOf(payload);
  return issueId ? { tracker: 'linear', issueId } : undefined;
}

export function jiraTicketOf(payload: unknown): TicketRef | undefined {
  const issueId = jiraIssueKeyOf(payload);
  return issueId ? { tracker: 'jira', issueId } : undefined;
}

/** The delivery is done once its ticket was evaluated; a failed evaluation fails the delivery, which the inbox tries again. */
export function ticketEventHandler(extract: (payload: unknown) => TicketRef | undefined, evaluate: (ref: TicketRef) => Promise<void>): DeliveryHandler {
  return async (delivery) => {
    const ref = extract(delivery.payload);
    if (ref) await evaluate(ref);
  };
}
