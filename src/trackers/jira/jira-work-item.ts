import { z } from 'zod';
import type { OpenBlocker, WorkItem, WorkItemLifecycle, WorkMarker } from '../../domain/work-item.js';
import { adfToText, type AdfNode } from './jira-adf.js';

/**
 * Zod schemas for the parts of Jira's issue JSON the adapter reads, the
 * marker ↔ "AI-Implement Status" value mapping, and the conversion of an
 * issue into a WorkItem.
 */

/** The "AI-Implement Status" value written for each marker. */
export type JiraStatusValues = Record<WorkMarker, string>;

export const DEFAULT_JIRA_STATUS_VALUES: JiraStatusValues = {
  planning: 'Planning',
  working: 'Implementing',
  'plan-complete': 'Plan Approved',
  'pr-ready': 'PR Ready',
  failed: 'Failed',
  'needs-human': 'Needs Human',
  paused: 'Paused',
};

export const DEFAULT_READY_VALUE = 'Ready';

/** Values that make a ticket a candidate (the human's "go" signals). */
export const DEFAULT_TRIGGER_VALUES = ['Ready', 'Plan Approved'];

const statusSchema = z.object({
  name: z.string(),
  statusCategory: z.object({ key: z.string() }).nullish(),
});

const linkedIssueSchema = z.object({
  id: z.string(),
  key: z.string(),
  fields: z.object({ status: statusSchema.nullish() }).nullish(),
});

export const issueSchema = z.object({
  id: z.string(),
  key: z.string(),
  fields: z
    .object({
      summary: z.string().nullish(),
      description: z.unknown().optional(),
      status: statusSchema.nullish(),
      labels: z.array(z.string()).nullish(),
      assignee: z.object({ accountId: z.string(), emailAddress: z.string().nullish() }).nullish(),
      project: z.object({ key: z.string(), name: z.string().nullish() }).nullish(),
      created: z.string().nullish(),
      updated: z.string().nullish(),
      issuelinks: z
        .array(z.object({ type: z.object({ name: z.string(), inward: z.string().nullish() }), inwardIssue: linkedIssueSchema.nullish() }))
        .nullish(),
    })
    .loose(),
});

export type JiraIssueJson = z.infer<typeof issueSchema>;

export const searchPageSchema = z.object({
  issues: z.array(issueSchema).nullish(),
  nextPageToken: z.string().nullish(),
});

export const transitionsSchema = z.object({
  transitions: z
    .array(z.object({ id: z.string(), name: z.string(), to: statusSchema.nullish() }))
    .nullish(),
});

export const fieldListSchema = z.array(
  z.object({ id: z.string(), name: z.string(), schema: z.object({ type: z.string().nullish(), custom: z.string().nullish() }).nullish() }),
);

const CANCELED_NAME = /^(cancell?ed|won'?t (do|fix)|declined|rejected)$/i;

export function lifecycleOf(status: { name: string; statusCategory?: { key: string } | null } | null | undefined): WorkItemLifecycle {
  if (!status) return 'unstarted';
  if (CANCELED_NAME.test(status.name.trim())) return 'canceled';
  switch (status.statusCategory?.key) {
    case 'indeterminate':
      return 'started';
    case 'done':
      return 'completed';
    default:
      return 'unstarted';
  }
}

/** A select field answers `{ value }`, a text field a string. */
export function fieldText(raw: unknown): string | undefined {
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'object' && raw !== null && typeof (raw as { value?: unknown }).value === 'string') return (raw as { value: string }).value;
  return undefined;
}

export function markersFromStatus(values: JiraStatusValues, aiStatus: string | undefined): WorkMarker[] {
  if (!aiStatus) return [];
  const lower = aiStatus.toLowerCase();
  const found = (Object.keys(values) as WorkMarker[]).find((m) => values[m].toLowerCase() === lower);
  return found ? [found] : [];
}

/** Jira's "Blocks" link seen from the blocked issue: the blocker is the inward issue. */
function openBlockers(issue: JiraIssueJson): OpenBlocker[] {
  const blockers: OpenBlocker[] = [];
  for (const link of issue.fields.issuelinks ?? []) {
    if (link.type.name.toLowerCase() !== 'blocks' || !link.inwardIssue) continue;
    const lifecycle = lifecycleOf(link.inwardIssue.fields?.status);
    if (lifecycle !== 'completed' && lifecycle !== 'canceled') blockers.push({ id: link.inwardIssue.id, identifier: link.inwardIssue.key, lifecycle });
  }
  return blockers;
}

export interface JiraFieldIds {
  status: string;
  repo: string;
}

export function toWorkItem(issue: JiraIssueJson, ctx: { host: string; fieldIds: JiraFieldIds; statusValues: JiraStatusValues }): WorkItem {
  const f = issue.fields;
  const aiStatus = fieldText(f[ctx.fieldIds.status]);
  const repo = fieldText(f[ctx.fieldIds.repo]);
  const item: WorkItem = {
    tracker: 'jira',
    id: issue.id,
    identifier: issue.key,
    title: f.summary ?? '',
    description: adfToText(f.description as AdfNode | null | undefined),
    url: `${ctx.host.replace(/\/+$/, '')}/browse/${issue.key}`,
    lifecycle: lifecycleOf(f.status),
    stateName: f.status?.name ?? '',
    labels: f.labels ?? [],
    markers: markersFromStatus(ctx.statusValues, aiStatus),
    teamKey: f.project?.key ?? issue.key.replace(/-\d+$/, ''),
    blockedBy: openBlockers(issue),
    createdAt: isoDate(f.created),
    updatedAt: isoDate(f.updated),
  };
  if (f.assignee) item.assigneeId = f.assignee.accountId;
  if (f.assignee?.emailAddress) item.assigneeEmail = f.assignee.emailAddress;
  if (f.project?.name) item.projectName = f.project.name;
  if (repo !== undefined) item.repoFieldValue = repo;
  if (aiStatus !== undefined) item.aiStatus = aiStatus;
  return item;
}

/** Jira writes `2024-05-01T10:00:00.000+0000`; the project keeps ISO 8601 UTC. */
function isoDate(value: string | null | undefined): string {
  if (!value) return '';
  const ms = Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(ms) ? value : new Date(ms).toISOString();
}
