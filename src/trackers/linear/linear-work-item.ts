import { z } from 'zod';
import type { OpenBlocker, WorkItem, WorkItemLifecycle, WorkMarker } from '../../domain/work-item.js';

/**
 * Zod schemas for the slices of Linear's answers the adapter reads, and the
 * conversion of an issue node into a WorkItem. Only fields we use are kept.
 */

export const issueNodeSchema = z.object({
  id: z.string(),
  identifier: z.string(),
  title: z.string(),
  description: z.string().nullish(),
  url: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  team: z.object({ key: z.string() }),
  state: z.object({ name: z.string(), type: z.string() }).nullish(),
  assignee: z.object({ id: z.string(), email: z.string().nullish() }).nullish(),
  project: z.object({ name: z.string() }).nullish(),
  labels: z.object({ nodes: z.array(z.object({ name: z.string() })) }),
  inverseRelations: z.object({
    nodes: z.array(
      z.object({
        type: z.string(),
        issue: z.object({ id: z.string(), identifier: z.string(), state: z.object({ type: z.string() }).nullish() }).nullish(),
      }),
    ),
  }),
});

export type LinearIssueNode = z.infer<typeof issueNodeSchema>;

const pageInfoSchema = z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullish() });

export const issuesPageSchema = z.object({
  issues: z.object({ nodes: z.array(issueNodeSchema), pageInfo: pageInfoSchema }),
});

export const issueCreateSchema = z.object({
  issueCreate: z.object({ success: z.boolean(), issue: issueNodeSchema.nullish() }),
});

export const projectsSchema = z.object({
  projects: z.object({ nodes: z.array(z.object({ id: z.string(), name: z.string() })) }),
});

export const teamSchema = z.object({
  teams: z.object({
    nodes: z.array(
      z.object({
        id: z.string(),
        key: z.string(),
        states: z.object({ nodes: z.array(z.object({ id: z.string(), name: z.string(), type: z.string(), position: z.number() })) }),
      }),
    ),
  }),
});

export const labelsSchema = z.object({
  issueLabels: z.object({ nodes: z.array(z.object({ id: z.string(), name: z.string(), team: z.object({ id: z.string() }).nullish() })) }),
});

export const labelCreateSchema = z.object({
  issueLabelCreate: z.object({ success: z.boolean(), issueLabel: z.object({ id: z.string() }).nullish() }),
});

export const commentsPageSchema = z.object({
  comments: z.object({ nodes: z.array(z.object({ id: z.string(), body: z.string() })), pageInfo: pageInfoSchema }),
});

export const commentWriteSchema = z.object({
  comment: z.object({ id: z.string() }).nullish(),
});

export const anySchema = z.unknown();

/** The label name the adapter uses for each marker (and the trigger label). */
export interface LinearLabelNames {
  trigger: string;
  planning: string;
  working: string;
  planComplete: string;
  prReady: string;
  failed: string;
  needsHuman: string;
  /** Put on a ticket whose spend limit stopped it; an operator's resume takes it off. */
  paused: string;
}

export const DEFAULT_LINEAR_LABELS: LinearLabelNames = {
  trigger: 'AI-Implement',
  planning: 'AI-Planning',
  working: 'AI-Working',
  planComplete: 'Plan-Complete',
  prReady: 'AI-PR-Ready',
  failed: 'AI-Failed',
  needsHuman: 'needs-human',
  paused: 'AI-Implement-Paused',
};

export function markerLabel(labels: LinearLabelNames, marker: WorkMarker): string {
  switch (marker) {
    case 'planning':
      return labels.planning;
    case 'working':
      return labels.working;
    case 'plan-complete':
      return labels.planComplete;
    case 'pr-ready':
      return labels.prReady;
    case 'failed':
      return labels.failed;
    case 'needs-human':
      return labels.needsHuman;
    case 'paused':
      return labels.paused;
  }
}

const ALL_MARKERS: WorkMarker[] = ['planning', 'working', 'plan-complete', 'pr-ready', 'failed', 'needs-human', 'paused'];

/** Linear label names are unique case-insensitively, so markers are matched that way. */
export function markersFromLabels(labels: LinearLabelNames, names: readonly string[]): WorkMarker[] {
  const lower = new Set(names.map((n) => n.toLowerCase()));
  return ALL_MARKERS.filter((m) => lower.has(markerLabel(labels, m).toLowerCase()));
}

export function lifecycleOf(stateType: string | undefined): WorkItemLifecycle {
  if (stateType === 'started' || stateType === 'completed' || stateType === 'canceled') return stateType;
  // triage, backlog, unstarted, and any type Linear may add later: not begun.
  return 'unstarted';
}

function isOpen(lifecycle: WorkItemLifecycle): boolean {
  return lifecycle !== 'completed' && lifecycle !== 'canceled';
}

/**
 * Linear's `blocks` relation is positional: `issue` blocks `relatedIssue`.
 * The blocked ticket therefore sees its blockers in `inverseRelations`,
 * pointing at them through `issue`.
 */
export function openBlockers(node: LinearIssueNode): OpenBlocker[] {
  const blockers: OpenBlocker[] = [];
  for (const relation of node.inverseRelations.nodes) {
    if (relation.type !== 'blocks' || !relation.issue) continue;
    const lifecycle = lifecycleOf(relation.issue.state?.type);
    if (isOpen(lifecycle)) blockers.push({ id: relation.issue.id, identifier: relation.issue.identifier, lifecycle });
  }
  return blockers;
}

export function toWorkItem(node: LinearIssueNode, labels: LinearLabelNames): WorkItem {
  const labelNames = node.labels.nodes.map((l) => l.name);
  const item: WorkItem = {
    tracker: 'linear',
    id: node.id,
    identifier: node.identifier,
    title: node.title,
    description: node.description ?? '',
    url: node.url,
    lifecycle: lifecycleOf(node.state?.type),
    stateName: node.state?.name ?? '',
    labels: labelNames,
    markers: markersFromLabels(labels, labelNames),
    teamKey: node.team.key,
    blockedBy: openBlockers(node),
    createdAt: node.createdAt,
    updatedAt: node.updatedAt,
  };
  if (node.assignee) item.assigneeId = node.assignee.id;
  if (node.assignee?.email) item.assigneeEmail = node.assignee.email;
  if (node.project) item.projectName = node.project.name;
  return item;
}
