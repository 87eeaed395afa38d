import type { TrackerKind } from '../domain/mapping.js';
import type { Logger } from '../logging/create-logger.js';
import type { IssueTracker } from './issue-tracker.js';
import { createJiraTracker, type JiraTrackerOptions } from './jira/index.js';
import { createLinearTracker, type LinearTrackerOptions } from './linear/index.js';
import { redactTicketComments } from './redact-ticket-comments.js';

/** Settings for whichever trackers are configured; an absent one is simply not built. */
export interface TrackerSettings {
  linear?: Omit<LinearTrackerOptions, 'log'>;
  jira?: Omit<JiraTrackerOptions, 'log'>;
  log?: Logger;
  /** The process's redactor: every comment is scrubbed with it before it is posted. */
  redact?: (text: string) => string;
}

export type Trackers = Partial<Record<TrackerKind, IssueTracker>>;

/** Builds one adapter per configured tracker, for the composition root. */
export function createTrackers(settings: TrackerSettings): Trackers {
  const trackers: Trackers = {};
  const log = settings.log;
  if (settings.linear) trackers.linear = createLinearTracker(log ? { ...settings.linear, log } : settings.linear);
  if (settings.jira) trackers.jira = createJiraTracker(log ? { ...settings.jira, log } : settings.jira);
  const redact = settings.redact;
  if (!redact) return trackers;
  return Object.fromEntries(Object.entries(trackers).map(([kind, tracker]) => [kind, redactTicketComments(tracker, redact)])) as Trackers;
}
