import type { Run } from '../../../domain/run.js';
import { isTerminal } from '../../../domain/run-status.js';
import { statusTone, timeAgo, type Tone } from '../format.js';
import type { EmptyState } from './kpi.js';
import type { PanelContext } from './panel-context.js';
import { runHref } from './run-row.js';

export interface PullRow {
  prUrl: string;
  prLabel: string;
  identifier: string;
  title: string;
  runHref: string;
  repo: string;
  status: 'running' | 'completed' | 'failed' | 'review_failed';
  statusTone: Tone;
  iteration: number;
  sinceDispatch: string;
  lastDispatchAt: string;
}

export interface PullsView {
  rows: PullRow[];
  empty: EmptyState;
}

/** Runs scanned for pull requests: the dispatch log's window. */
const WINDOW = 500;

function pullStatus(run: Run): PullRow['status'] {
  if (!isTerminal(run.status)) return 'running';
  if (run.status === 'succeeded') return 'completed';
  return run.phase === 'review-feedback' ? 'review_failed' : 'failed';
}

/** Every bot-opened PR in the window, described by its most recent run (any phase). */
export async function buildPulls(ctx: PanelContext): Promise<PullsView> {
  const { store } = ctx.deps;
  const [page, mappings] = await Promise.all([store.runs.listRuns({ limit: WINDOW }), store.mappings.list()]);
  const repoOf = new Map(mappings.map((m) => [m.teamKey, `${m.owner}/${m.repo}`]));
  const prOfIssue = new Map<string, string>();
  for (const run of page.items) if (run.prUrl && !prOfIssue.has(run.issueId)) prOfIssue.set(run.issueId, run.prUrl);
  const rows = new Map<string, PullRow>();
  // Newest first, so the first run seen per PR is its latest dispatch (a review-feedback run may carry no prUrl itself).
  for (const run of page.items) {
    const prUrl = run.prUrl ?? prOfIssue.get(run.issueId);
    if (!prUrl || run.shadowOf || rows.has(prUrl)) continue;
    const status = pullStatus(run);
    rows.set(prUrl, {
      prUrl,
      prLabel: /\/pull\/(\d+)$/.exec(prUrl)?.[1] ? `#${/\/pull\/(\d+)$/.exec(prUrl)?.[1]}` : prUrl,
      identifier: run.identifier,
      title: run.title ?? '',
      runHref: runHref(run.id),
      repo: repoOf.get(run.mappingKey) ?? /github\.[^/]+\/([^/]+\/[^/]+)\/pull/.exec(prUrl)?.[1] ?? '—',
      status,
      statusTone: status === 'running' ? 'info' : statusTone(status),
      iteration: run.dispatchNumber,
      sinceDispatch: timeAgo(run.createdAt, ctx.now),
      lastDispatchAt: run.createdAt,
    });
  }
  return {
    rows: [...rows.values()],
    empty: { title: 'No pull requests yet.', next: 'A pull request appears here when a run opens one; follow running jobs on the Pipelines panel.', href: '/admin/jobs', linkText: 'Open Pipelines' },
  };
}
