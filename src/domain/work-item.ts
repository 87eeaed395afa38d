import type { TrackerKind } from './mapping.js';

/** Where a ticket is in its tracker's own workflow, reduced to four buckets. */
export type WorkItemLifecycle = 'unstarted' | 'started' | 'completed' | 'canceled';

/**
 * The orchestrator's marks on a ticket. On Linear they are labels
 * (`AI-Planning`, `AI-Working`, `Plan-Complete`, ...); on Jira they are values
 * of the "AI-Implement Status" field (Planning, Implementing, PR Ready, ...).
 * `paused` is a spend limit's stop: the ticket waits for an operator to resume it.
 */
export type WorkMarker = 'planning' | 'working' | 'plan-complete' | 'pr-ready' | 'failed' | 'needs-human' | 'paused';

/** A ticket that blocks this one and is not yet completed or canceled. */
export interface OpenBlocker {
  id: string;
  identifier: string;
  lifecycle: WorkItemLifecycle;
}

/**
 * A ticket in the project's own terms, converted from the tracker's data at
 * the adapter boundary. Nothing outside `src/trackers/` sees vendor types.
 */
export interface WorkItem {
  tracker: TrackerKind;
  /** The tracker's stable id (Linear uuid, Jira numeric id). */
  id: string;
  /** Human key: `ENG-12`, `OPS-7`. */
  identifier: string;
  title: string;
  /** Plain text or Markdown (Jira ADF is converted to text). */
  description: string;
  url: string;
  lifecycle: WorkItemLifecycle;
  stateName: string;
  labels: string[];
  markers: WorkMarker[];
  assigneeId?: string;
  /** The assignee's email when the tracker shows it (Jira hides it under some privacy settings). */
  assigneeEmail?: string;
  /** Linear team key or Jira project key. */
  teamKey: string;
  projectName?: string;
  /** Jira: value of the "AI-Implement Repo" field. */
  repoFieldValue?: string;
  /** Jira: raw value of the "AI-Implement Status" field. */
  aiStatus?: string;
  /** Open tickets that block this one (Linear `blocks` relations, Jira links). */
  blockedBy: OpenBlocker[];
  createdAt: string;
  updatedAt: string;
}
