import type { SandboxPull } from '../../../admin/sandbox-control.js';
import { ACTIVE_RUN_STATUSES } from '../../../domain/run-status.js';
import type { RepoTemplateStatus } from '../../../operations/workflow-sync.js';
import { percent, timeAgo } from '../format.js';
import type { EmptyState, Kpi } from './kpi.js';
import { optional, type PanelContext } from './panel-context.js';
import { mappingIndex, toRunRow, type RunRow } from './run-row.js';
import { buildTrendChart, type TrendChart } from './trend-chart.js';
import { buildServiceLevels, type ServiceLevelsView } from './service-levels-view.js';

export interface CapacityRow {
  teamKey: string;
  inProgress: number;
  cap: number;
  percent: number;
  atCap: boolean;
  paused: boolean;
}

export interface OverviewView {
  kpis: Kpi[];
  running: RunRow[];
  runningEmpty: EmptyState;
  failed: RunRow[];
  failedEmpty: EmptyState;
  capacity: { used: number; total: number; percent: number; rows: CapacityRow[] };
  atCap: CapacityRow[];
  templates: { available: boolean; stale: StaleTemplate[]; checked: number; note: string };
  chart: TrendChart;
  cycleAt?: string;
  cycleErrors: string[];
  /** Service levels per project and repository (24 h, 7 days), their breaches, and spend this month. */
  serviceLevels: ServiceLevelsView;
  /** Sandbox mode only: the things to try, with the demo repository's pull requests. */
  sandbox?: { pulls: SandboxPull[] };
}

const DAY_MS = 24 * 3_600_000;

export interface StaleTemplate {
  teamKey: string;
  repo: string;
  detail: string;
}

/** A repository whose templates are not all current: the read error, or which files are stale or missing. */
function staleTemplate(status: RepoTemplateStatus): StaleTemplate {
  const files = status.files.filter((f) => f.status !== 'current').map((f) => `${f.path} ${f.status}`);
  return { teamKey: status.teamKey, repo: status.repo, detail: status.error ?? (files.join(', ') || status.status) };
}

export async function buildOverview(ctx: PanelContext): Promise<OverviewView> {
  const { store } = ctx.deps;
  const { workflowSync } = ctx.deps.operations;
  const [stats, mappings, active, failedPage, templates, serviceLevels] = await Promise.all([
    store.runs.stats(),
    mappingIndex(store.mappings.list()),
    store.runs.listActiveRuns({ status: ACTIVE_RUN_STATUSES }),
    store.runs.listRuns({ status: 'failed', from: ctx.now - DAY_MS, limit: 50 }),
    optional(workflowSync && (() => workflowSync.templateStatus())),
    buildServiceLevels(ctx),
  ]);
  const running = active
    .filter((r) => !r.shadowOf)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
    .map((r) => toRunRow(r, mappings, ctx.now));
  const rows: CapacityRow[] = [...mappings.values()].map((m) => {
    const inProgress = stats.inProgressByMapping[m.teamKey] ?? 0;
    return { teamKey: m.teamKey, inProgress, cap: m.maxInProgressAiIssues, percent: percent(inProgress, m.maxInProgressAiIssues), atCap: inProgress >= m.maxInProgressAiIssues, paused: m.paused };
  });
  const used = rows.reduce((n, r) => n + r.inProgress, 0);
  const total = rows.reduce((n, r) => n + r.cap, 0);
  const atCap = rows.filter((r) => r.atCap);
  // `unknown` (the repository could not be read) counts as stale: someone has to look at it.
  const stale = templates.available ? templates.value.filter((t) => t.status !== 'current').map(staleTemplate) : [];
  const cycle = ctx.deps.latestCycle();
  return {
    kpis: [
      { label: 'Running jobs', value: running.length, hint: 'dispatched or in progress now', tone: running.length > 0 ? 'info' : 'muted' },
      { label: 'Failed (24 h)', value: stats.failedLast24h, hint: `of ${stats.createdLast24h} dispatched`, tone: stats.failedLast24h > 0 ? 'bad' : 'ok' },
      { label: 'Capacity used', value: `${percent(used, total)}%`, hint: `${used} of ${total} slots across ${rows.length} projects`, tone: percent(used, total) >= 90 ? 'warn' : 'ok' },
      { label: 'Projects at cap', value: atCap.length, hint: atCap.length ? atCap.map((r) => r.teamKey).join(', ') : 'none', tone: atCap.length ? 'warn' : 'ok' },
      {
        label: 'Stale templates',
        value: templates.available ? stale.length : '—',
        hint: templates.available ? `${templates.value.length} repositories checked` : 'template check not available',
        tone: templates.available ? (stale.length ? 'warn' : 'ok') : 'muted',
      },
    ],
    running,
    runningEmpty: { title: 'Nothing is running.', next: 'Label a ticket AI-Implement in a mapped team; it starts on the next poll.', href: '/admin/blockers', linkText: 'See why tickets wait' },
    failed: failedPage.items.map((r) => toRunRow(r, mappings, ctx.now)),
    failedEmpty: { title: 'No failed jobs in the last 24 hours.', next: 'Failures show here with the step that failed and why.' },
    capacity: { used, total, percent: percent(used, total), rows },
    atCap,
    templates: {
      available: templates.available,
      stale,
      checked: templates.available ? templates.value.length : 0,
      note: templates.available ? (stale.length ? 'Sync workflows from Projects to update them.' : 'Every target repository has the current workflow templates.') : 'The template check is not available in this build.',
    },
    chart: buildTrendChart(stats.hours),
    serviceLevels,
    ...(cycle ? { cycleAt: timeAgo(cycle.at, ctx.now) } : {}),
    cycleErrors: cycle ? cycle.errors.map((e) => `${e.tracker}: ${e.message}`) : [],
    ...(ctx.deps.sandbox ? { sandbox: { pulls: ctx.deps.sandbox.pulls() } } : {}),
  };
}
