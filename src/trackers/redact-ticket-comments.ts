import type { IssueTracker } from './issue-tracker.js';

/**
 * A tracker whose comments pass the process's redactor on their way out: the
 * one door every ticket comment goes through (status, plan, retry limit,
 * review and PR notices, queued retries alike), so a minted token or a secret
 * quoted anywhere upstream never reaches a ticket. Only comments carry free
 * text, and so does a new ticket's title and description (a schedule's
 * instructions); the other calls are passed through.
 */
export function redactTicketComments(tracker: IssueTracker, redact: (text: string) => string): IssueTracker {
  return {
    kind: tracker.kind,
    listCandidates: (scopes) => tracker.listCandidates(scopes),
    getCandidate: (idOrIdentifier, scopes) => tracker.getCandidate(idOrIdentifier, scopes),
    getItem: (idOrIdentifier) => tracker.getItem(idOrIdentifier),
    searchItems: (text, limit) => tracker.searchItems(text, limit),
    addMarker: (item, marker) => tracker.addMarker(item, marker),
    removeMarker: (item, marker) => tracker.removeMarker(item, marker),
    transition: (item, target, stateName) => tracker.transition(item, target, stateName),
    ensureComment: (item, key, body) => tracker.ensureComment(item, key, redact(body)),
    ...(tracker.createTicket
      ? { createTicket: (scope, ticket) => tracker.createTicket!(scope, { title: redact(ticket.title), description: redact(ticket.description) }) }
      : {}),
  };
}
