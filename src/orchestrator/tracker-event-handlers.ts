import type { DeliveryHandler } from './inbox-worker.js';
import type { TicketRef } from './intake-cycle.js';

/**
 * Turns Linear and Jira webhook deliveries into "evaluate this ticket now".
 * Which changes matter (label added, state changed, assigned to the app user)
 * is the planner's business: any issue event re-evaluates its ticket, and an
 * ineligible ticket simply plans to nothing.
 */

export function linearTicketOf(payload: unknown): TicketRef | undefined {
  const body = payload as { type?: unknown; data?: { id?: unknown } };
  if (body.type !== 'Issue' || typeof body.data?.id !== 'string') return undefined;
  return { tracker: 'linear', issueId: body.data.id };
}

export function jiraTicketOf(payload: unknown): TicketRef | undefined {
  const body = payload as { webhookEvent?: unknown; issue?: { id?: unknown; key?: unknown } };
  if (typeof body.webhookEvent !== 'string' || !body.webhookEvent.startsWith('jira:issue_')) return undefined;
  const key = typeof body.issue?.key === 'string' ? body.issue.key : typeof body.issue?.id === 'string' ? body.issue.id : undefined;
  return key ? { tracker: 'jira', issueId: key } : undefined;
}

export function ticketEventHandler(extract: (payload: unknown) => TicketRef | undefined, evaluate: (ref: TicketRef) => void): DeliveryHandler {
  return async (delivery) => {
    const ref = extract(delivery.payload);
    if (ref) evaluate(ref);
  };
}
