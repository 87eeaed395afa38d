import type { TrackerKind } from '../domain/mapping.js';
import type { WorkItem, WorkMarker } from '../domain/work-item.js';

/** One mapping's ticketing scope, as a tracker needs it to find candidates. */
export type TrackerScope =
  | { mappingKey: string; kind: 'linear'; teamKey: string; projectFilter?: string; labelFilter?: string }
  | { mappingKey: string; kind: 'jira'; jql: string; repoFieldValue: string };

/** A candidate ticket and the keys of every mapping whose scope it matches (none → `no-mapping`). */
export interface Candidate {
  item: WorkItem;
  mappingKeys: string[];
}

/** Where a transition should take the ticket, in the project's terms. */
export type TransitionTarget = 'in-progress' | 'ready-for-review' | 'done';

/** A ticket to open: the title and the plain-text description (the instructions). */
export interface NewTicket {
  title: string;
  description: string;
}

export interface CommentRef {
  id: string;
  /** True when this call created the comment, false when it found and (maybe) edited it. */
  created: boolean;
}

/**
 * A ticket system seen through the project's own types. Every write is an
 * idempotent `ensure…`: doing it twice leaves the ticket as doing it once.
 * Vendor errors surface as ExternalServiceError (retryable, retryAfterMs),
 * NotFoundError or AuthError.
 */
export interface IssueTracker {
  readonly kind: TrackerKind;
  /**
   * Eligible tickets for all the given scopes. Linear: ONE paged query per
   * call for every scope together (labelled `AI-Implement` or assigned to the
   * agent user, not completed/canceled), matched to scopes locally, so tickets
   * in unmapped teams come back with `mappingKeys: []`. Jira: one search per scope.
   */
  listCandidates(scopes: readonly TrackerScope[]): Promise<Candidate[]>;
  /**
   * One ticket checked against the scopes as `listCandidates` would, for a
   * webhook that names it: undefined when it is not eligible or is gone.
   */
  getCandidate(idOrIdentifier: string, scopes: readonly TrackerScope[]): Promise<Candidate | undefined>;
  /** One ticket by id or identifier; undefined when it no longer exists. */
  getItem(idOrIdentifier: string): Promise<WorkItem | undefined>;
  /**
   * Tickets whose title contains `text` (case-insensitive; Jira matches
   * words), open or not, newest first, at most `limit`; the ticket whose
   * identifier is `text` first when there is one. For an operator's search.
   */
  searchItems(text: string, limit: number): Promise<WorkItem[]>;
  addMarker(item: WorkItem, marker: WorkMarker): Promise<void>;
  removeMarker(item: WorkItem, marker: WorkMarker): Promise<void>;
  /** Moves the ticket to the state for `target` (a per-mapping state name may override `done`). */
  transition(item: WorkItem, target: TransitionTarget, stateName?: string): Promise<void>;
  /**
   * Creates or edits in place the one comment for `key` on the ticket
   * (e.g. `run-status:<runId>`). An unchanged body is not rewritten. The key
   * is never kept in the visible text. Linear derives the comment's id from
   * ticket + key, and Jira keeps the key in a comment property.
   */
  ensureComment(item: WorkItem, key: string, body: string): Promise<CommentRef>;
  /**
   * Opens a new ticket that the scope finds eligible (a schedule's fire).
   * Linear: in the scope's team, in its project when it filters by one,
   * labelled with the trigger label and the scope's label filter. Jira: a
   * Task in the project the JQL names, with the repository field and Ready.
   * Optional so a tracker that cannot open tickets can say so by leaving it out.
   */
  createTicket?(scope: TrackerScope, ticket: NewTicket): Promise<WorkItem>;
}
