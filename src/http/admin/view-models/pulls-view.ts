import type { PullJobStatus } from '../../../admin/work-views.js';
import type { PullsResult } from '../../../admin/work-queries.js';
import { statusTone, timeAgo, type Tone } from '../format.js';
import type { EmptyState } from './kpi.js';
import { runHref } from './run-row.js';

export interface PullRow {
  prUrl: string;
  prLabel: string;
  identifier: string;
  title: string;
  issueUrl?: string;
  runHref: string;
  repo: string;
  status: PullJobStatus;
  statusTone: Tone;
  iteration: number;
  sinceDispatch: string;
  lastDispatchAt: string;
}

export interface PullsView {
  rows: PullRow[];
  days: number;
  /** Set when the window held more runs than the page reads. */
  runsRead?: number;
  empty: EmptyState;
}

/**
 * Runs the page reads (the dispatch log's window): the same query as
 * `GET /api/pulls`, bounded so the page renders in well under 100 ms on a
 * 100,000-run ledger (bench/panels-bench.ts); the API reads up to 5,000.
 */
export const PANEL_PULLS_RUNS = 500;

/** The Pull requests panel: the shared Pulls query, in words and colours. */
export function buildPulls(data: PullsResult, now: number): PullsView {
  return {
    rows: data.pulls.map((pull) => ({
      prUrl: pull.prUrl,
      prLabel: pull.prNumber !== undefined ? `#${pull.prNumber}` : pull.prUrl,
      identifier: pull.identifier,
      title: pull.title,
      ...(pull.issueUrl ? { issueUrl: pull.issueUrl } : {}),
      runHref: runHref(pull.latestRunId),
      repo: pull.repo ?? '—',
      status: pull.status,
      statusTone: pull.status === 'running' ? 'info' : statusTone(pull.status),
      iteration: pull.iterations,
      sinceDispatch: timeAgo(pull.lastDispatchAt, now),
      lastDispatchAt: pull.lastDispatchAt,
    })),
    days: data.days,
    ...(data.truncated ? { runsRead: data.runsScanned } : {}),
    empty: { title: 'No pull requests yet.', next: 'A pull request appears here when a run opens one; follow running jobs on the Pipelines panel.', href: '/admin/jobs', linkText: 'Open Pipelines' },
  };
}
