import { readServiceLevelsShared } from '../../../admin/service-level-queries.js';
import { formatCostUsd } from '../../../domain/describe-usage.js';
import { monthLabel } from '../../../domain/budget.js';
import type { Percentiles, ServiceLevelFigures, ServiceLevelWindow } from '../../../domain/service-levels.js';
import { formatDuration } from '../../../domain/format-duration.js';
import type { PanelContext } from './panel-context.js';

export interface LatencyBar {
  y: number;
  width: number;
  label: string;
  value: string;
  kind: 'p50' | 'p95';
}

export interface ServiceLevelRow {
  kind: 'project' | 'repository';
  key: string;
  window: ServiceLevelWindow;
  firstModel: string;
  timeToPr: string;
  successRate: string;
  mergeRate: string;
  spendPerMergedPr: string;
  /** Time to PR, p50 and p95, as bars for the chart of this row. */
  bars: LatencyBar[];
}

export interface SpendRow {
  mappingKey: string;
  month: string;
  spent: string;
  limit: string;
  overLimit: boolean;
}

export interface ServiceLevelsView {
  rows: ServiceLevelRow[];
  breaches: string[];
  truncated: boolean;
  spend: SpendRow[];
  chart: { width: number; barHeight: number; height: number; labelWidth: number };
}

const CHART = { width: 360, barHeight: 14, labelWidth: 110 };

const latency = (p: Percentiles): string => (p.count === 0 ? '—' : `${formatDuration(p.p50 ?? 0)} / ${formatDuration(p.p95 ?? 0)}`);
const share = (n: number | undefined, of: number): string => (n === undefined ? '—' : `${Math.round(n * 100)}% (${of})`);

/** Four bars (first model and time to PR, p50 and p95) scaled to the longest of the row. */
function barsOf(figures: ServiceLevelFigures): LatencyBar[] {
  const values: { label: string; kind: 'p50' | 'p95'; ms: number | undefined }[] = [
    { label: 'first model p50', kind: 'p50', ms: figures.firstModelRequestMs.p50 },
    { label: 'first model p95', kind: 'p95', ms: figures.firstModelRequestMs.p95 },
    { label: 'time to PR p50', kind: 'p50', ms: figures.timeToPrMs.p50 },
    { label: 'time to PR p95', kind: 'p95', ms: figures.timeToPrMs.p95 },
  ];
  const max = Math.max(1, ...values.map((v) => v.ms ?? 0));
  const room = CHART.width - CHART.labelWidth - 70;
  return values.map((v, i) => ({
    y: i * (CHART.barHeight + 4),
    width: v.ms === undefined ? 0 : Math.max(1, Math.round((v.ms / max) * room)),
    label: v.label,
    value: v.ms === undefined ? '—' : formatDuration(v.ms),
    kind: v.kind,
  }));
}

/** The Overview's service-level and spend cards: per project and repository, 24 h and 7 days. */
export async function buildServiceLevels(ctx: PanelContext): Promise<ServiceLevelsView> {
  const { store } = ctx.deps;
  const report = await readServiceLevelsShared(store, ctx.now);
  const rows: ServiceLevelRow[] = [];
  for (const group of report.groups) {
    for (const window of ['24h', '7d'] as const) {
      const f = group.windows[window];
      rows.push({
        kind: group.kind === 'mapping' ? 'project' : 'repository',
        key: group.key,
        window,
        firstModel: latency(f.firstModelRequestMs),
        timeToPr: latency(f.timeToPrMs),
        successRate: share(f.successRate, f.finishedRuns),
        mergeRate: share(f.mergeRate, f.openedPrs),
        spendPerMergedPr: f.spendPerMergedPrUsd === undefined ? '—' : `${formatCostUsd(f.spendPerMergedPrUsd)} (${f.mergedPrs})`,
        bars: barsOf(f),
      });
    }
  }
  const spend: SpendRow[] = [];
  const budget = ctx.deps.budget?.budget;
  if (budget) {
    for (const m of await store.mappings.list()) {
      const spent = await budget.monthSpend(m.teamKey);
      const limit = m.budget?.monthlyUsd;
      spend.push({ mappingKey: m.teamKey, month: monthLabel(ctx.now), spent: formatCostUsd(spent), limit: limit === undefined ? 'no limit' : formatCostUsd(limit), overLimit: limit !== undefined && spent >= limit });
    }
  }
  return {
    rows,
    breaches: report.groups.flatMap((g) => g.breaches.map((b) => `${b.mappingKey}: ${b.message}`)),
    truncated: report.truncated,
    spend,
    chart: { ...CHART, height: 4 * (CHART.barHeight + 4) },
  };
}
