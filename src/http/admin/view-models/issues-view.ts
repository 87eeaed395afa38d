import { phaseFor } from '../../../domain/plan-dispatch.js';
import type { Run } from '../../../domain/run.js';
import { isTerminal } from '../../../domain/run-status.js';
import { statusTone, timeAgo, type Tone } from '../format.js';
import type { EmptyState } from './kpi.js';
import type { PanelContext } from './panel-context.js';
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

export interface InProgressRow {
  mappingKey: string;
  inProgress: number;
  cap: number;
  paused: boolean;
}

export interface IssuesView {
  rows: IssueRow[];
  empty: EmptyState;
  byMapping: InProgressRow[];
  cycleAt?: string;
  note: string;
}

/** Runs looked at to list tickets the last poll no longer returns (finished or handed to review). */
const HISTORY_RUNS = 500;

const LIFECYCLE_LABELS: Record<string, string> = { unstarted: 'not started', started: 'started', completed: 'completed', canceled: 'cancelled' };

export async function buildIssues(ctx: PanelContext): Promise<IssuesView> {
  const { store } = ctx.deps;
  const [mappings, history, stats] = await Promise.all([store.mappings.list(), store.runs.listRuns({ limit: HISTORY_RUNS }), store.runs.stats()]);
  const byKey = new Map(mappings.map((m) => [m.teamKey, m]));
  const latestRun = new Map<string, Run>();
  for (const run of history.items) if (!run.shadowOf && !latestRun.has(run.issueId)) latestRun.set(run.issueId, run);
  const lastRunOf = (issueId: string): IssueRow['lastRun'] => {
    const run = latestRun.get(issueId);
    return run ? { href: runHref(run.id), status: `${run.phase}: ${run.status}`, tone: statusTone(run.status), when: timeAgo(run.createdAt, ctx.now) } : undefined;
  };

  const cycle = ctx.deps.latestCycle();
  const rows: IssueRow[] = [];
  const seen = new Set<string>();
  for (const candidate of cycle?.candidates ?? []) {
    const item = candidate.item;
    seen.add(item.id);
    const mapping = candidate.mappingKeys.map((k) => byKey.get(k)).find((m) => m !== undefined);
    const phase = mapping ? phaseFor(item, mapping) : undefined;
    const run = latestRun.get(item.id);
    const readiness = !mapping ? 'no project' : phase === 'planning-pending' ? 'planning pending' : phase === 'plan' ? 'ready for planning' : 'ready for implementation';
    rows.push({
      identifier: item.identifier,
      title: item.title,
      url: item.url,
      tracker: item.tracker,
      mappingKeys: candidate.mappingKeys.join(', ') || '—',
      state: LIFECYCLE_LABELS[item.lifecycle] ?? item.lifecycle,
      stateTone: statusTone(item.lifecycle),
      stateName: item.stateName,
      readiness: run && !isTerminal(run.status) ? 'in progress' : readiness,
      readinessTone: run && !isTerminal(run.status) ? 'info' : phase === 'planning-pending' ? 'warn' : mapping ? 'ok' : 'bad',
      ...(lastRun(lastRunOf(item.id))),
      source: 'tracker',
    });
  }
  // Tickets whose runs finished drop out of the poll (they now wait for review); their history still counts.
  for (const run of latestRun.values()) {
    if (seen.has(run.issueId)) continue;
    const done = run.status === 'succeeded';
    rows.push({
      identifier: run.identifier,
      title: run.title ?? '',
      tracker: run.tracker,
      mappingKeys: run.mappingKey,
      state: isTerminal(run.status) ? (done ? 'completed' : run.status === 'cancelled' ? 'cancelled' : 'started') : 'started',
      stateTone: isTerminal(run.status) ? statusTone(done ? 'completed' : run.status) : 'info',
      stateName: done && run.prUrl ? 'pull request open' : '—',
      readiness: isTerminal(run.status) ? (done ? 'done' : 'needs attention') : 'in progress',
      readinessTone: isTerminal(run.status) ? (done ? 'ok' : 'bad') : 'info',
      ...(lastRun(lastRunOf(run.issueId))),
      source: 'history',
    });
  }
  return {
    rows,
    empty: { title: 'No AI-Implement issues yet.', next: 'Add the AI-Implement label to a ticket in a mapped team, or add a project for its team.', href: '/admin/projects', linkText: 'Open Projects' },
    byMapping: mappings.map((m) => ({ mappingKey: m.teamKey, inProgress: stats.inProgressByMapping[m.teamKey] ?? 0, cap: m.maxInProgressAiIssues, paused: m.paused })),
    ...(cycle ? { cycleAt: timeAgo(cycle.at, ctx.now) } : {}),
    note: cycle ? 'Tickets from the last poll, then tickets of recent runs that the poll no longer returns.' : 'The first poll has not finished yet; tickets of recent runs are shown.',
  };
}

function lastRun(value: IssueRow['lastRun']): { lastRun?: NonNullable<IssueRow['lastRun']> } {
  return value ? { lastRun: value } : {};
}
