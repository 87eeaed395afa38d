import type { IssueProgress, IssueReadiness, IssueRow as IssueData, IssueState, IssuesView as IssuesData, MappingLoad } from '../../../admin/work-views.js';
import { statusTone, timeAgo, type Tone } from '../format.js';
import type { EmptyState } from './kpi.js';
import { runHref } from './run-row.js';

export interface IssueRow {
  identifier: string;
  title: string;
  url?: string;
  tracker: string;
  mappingKeys: string;
  state: string;
  stateTone: Tone;
  stateName: string;
  readiness: string;
  readinessTone: Tone;
  lastRun?: { href: string; status: string; tone: Tone; when: string };
  source: 'tracker' | 'history';
}

export interface IssuesView {
  rows: IssueRow[];
  empty: EmptyState;
  byMapping: MappingLoad[];
  cycleAt?: string;
  note: string;
}

const STATE_LABELS: Record<IssueState, string> = { unstarted: 'not started', started: 'started', completed: 'completed', cancelled: 'cancelled' };
const READINESS: Record<IssueReadiness, { label: string; tone: Tone }> = {
  'ready-for-implementation': { label: 'ready for implementation', tone: 'ok' },
  'needs-planning': { label: 'ready for planning', tone: 'ok' },
  'planning-pending': { label: 'planning pending', tone: 'warn' },
};
const PROGRESS: Record<IssueProgress, { label: string; tone: Tone }> = {
  'in-progress': { label: 'in progress', tone: 'info' },
  done: { label: 'done', tone: 'ok' },
  'needs-attention': { label: 'needs attention', tone: 'bad' },
};

/** The Issues panel: the shared Issues query, in words and colours. */
export function buildIssues(data: IssuesData, now: number): IssuesView {
  return {
    rows: data.issues.map((issue) => toRow(issue, now)),
    empty: { title: 'No AI-Implement issues yet.', next: 'Add the AI-Implement label to a ticket in a mapped team, or add a project for its team.', href: '/admin/projects', linkText: 'Open Projects' },
    byMapping: data.inProgressByMapping,
    ...(data.cycleAt ? { cycleAt: timeAgo(data.cycleAt, now) } : {}),
    note: data.cycleAt ? 'Tickets from the last poll, then tickets of recent runs that the poll no longer returns.' : 'The first poll has not finished yet; tickets of recent runs are shown.',
  };
}

function toRow(issue: IssueData, now: number): IssueRow {
  // A live run says more than the planning rules, and a ticket gone from the poll has only its run's outcome.
  const readiness = issue.progress ? PROGRESS[issue.progress] : issue.readiness ? READINESS[issue.readiness] : PROGRESS['needs-attention'];
  const run = issue.lastRun;
  return {
    identifier: issue.identifier,
    title: issue.title,
    ...(issue.url ? { url: issue.url } : {}),
    tracker: issue.tracker,
    mappingKeys: issue.mappingKeys.join(', ') || '—',
    state: STATE_LABELS[issue.state],
    stateTone: stateTone(issue),
    stateName: issue.stateName || '—',
    readiness: readiness.label,
    readinessTone: readiness.tone,
    ...(run ? { lastRun: { href: runHref(run.id), status: `${run.phase}: ${run.status}`, tone: statusTone(run.status), when: timeAgo(run.createdAt, now) } } : {}),
    source: issue.source,
  };
}

function stateTone(issue: IssueData): Tone {
  if (issue.source === 'tracker') return statusTone(issue.state);
  // From the ledger: a live run is work in progress; a failed one is "started" in words but shown as trouble.
  if (issue.progress === 'in-progress') return 'info';
  if (issue.progress === 'needs-attention' && issue.state === 'started') return 'bad';
  return statusTone(issue.state);
}
