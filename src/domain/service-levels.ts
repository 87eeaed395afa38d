import { roundUsd } from './budget.js';
import type { Mapping, ServiceLevelThresholds } from './mapping.js';
import type { Run } from './run.js';
import { SUCCESSFUL_RUN_STATUSES, UNSUCCESSFUL_RUN_STATUSES } from './run-status.js';

/**
 * Service levels per project and per repository, measured from the runs and
 * merges of a bounded window (24 hours and 7 days), without I/O:
 *
 * - trigger → first model request: a run's creation (the poll, webhook or
 *   comment that claimed it) to the agent's first model request, as the
 *   runner reports it;
 * - time to PR: a run's creation to its result naming the pull request;
 * - success rate: succeeded ÷ (succeeded + failed) of the finished primary
 *   runs (cancelled runs were called off, not failures);
 * - merge rate: merged ÷ opened of the PRs runs opened in the window;
 * - spend per merged PR: the whole ticket's spend (every run) ÷ merged PRs.
 */

export const SERVICE_LEVEL_WINDOWS = { '24h': 24 * 3_600_000, '7d': 7 * 24 * 3_600_000 } as const;
export type ServiceLevelWindow = keyof typeof SERVICE_LEVEL_WINDOWS;

/** The audit action under which a merge is recorded (its `after` is a MergedPull). */
export const MERGE_AUDIT_ACTION = 'pr.merged';

/** A merged pull request, as recorded when GitHub said so. */
export interface MergedPull {
  mappingKey: string;
  /** `owner/repo`. */
  repo: string;
  number: number;
  mergedAt: string;
  /** Everything the PR's ticket spent (all its runs) when it merged. */
  ticketCostUsd: number;
}

export interface Percentiles {
  count: number;
  p50?: number;
  p95?: number;
}

export interface ServiceLevelFigures {
  firstModelRequestMs: Percentiles;
  timeToPrMs: Percentiles;
  finishedRuns: number;
  successRate?: number;
  openedPrs: number;
  mergedPrs: number;
  mergeRate?: number;
  spendPerMergedPrUsd?: number;
}

export interface ServiceLevelGroup {
  kind: 'mapping' | 'repo';
  /** The mapping key, or `owner/repo`. */
  key: string;
  windows: Record<ServiceLevelWindow, ServiceLevelFigures>;
  breaches: ServiceLevelBreach[];
}

export interface ServiceLevelBreach {
  mappingKey: string;
  threshold: keyof ServiceLevelThresholds;
  /** E.g. `time to PR p95 is 95 min, over the threshold of 60 min (24 h)`. */
  message: string;
}

/** Nearest-rank percentile of sorted values (p in 0–100); undefined for none. */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function percentilesOf(values: readonly number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const p50 = percentile(sorted, 50);
  const p95 = percentile(sorted, 95);
  return { count: sorted.length, ...(p50 !== undefined ? { p50 } : {}), ...(p95 !== undefined ? { p95 } : {}) };
}

function between(fromIso: string | undefined, toIso: string | undefined): number | undefined {
  if (!fromIso || !toIso) return undefined;
  const ms = Date.parse(toIso) - Date.parse(fromIso);
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

/** The figures of one group's runs and merges, all already inside one window. */
export function measure(runs: readonly Run[], merges: readonly MergedPull[]): ServiceLevelFigures {
  const primary = runs.filter((r) => !r.shadowOf);
  const firstModel = primary.map((r) => between(r.createdAt, r.firstModelRequestAt)).filter((ms): ms is number => ms !== undefined);
  const opened = primary.filter((r) => r.prNumber !== undefined && SUCCESSFUL_RUN_STATUSES.includes(r.status) && (r.phase === 'implement' || r.phase === 'plan'));
  const toPr = opened.map((r) => between(r.createdAt, r.finishedAt)).filter((ms): ms is number => ms !== undefined);
  const succeeded = primary.filter((r) => SUCCESSFUL_RUN_STATUSES.includes(r.status)).length;
  const failed = primary.filter((r) => UNSUCCESSFUL_RUN_STATUSES.includes(r.status)).length;
  const openedPrs = new Set(opened.map((r) => r.prNumber)).size;
  const mergedPrs = merges.length;
  const spent = roundUsd(merges.reduce((sum, m) => sum + m.ticketCostUsd, 0));
  return {
    firstModelRequestMs: percentilesOf(firstModel),
    timeToPrMs: percentilesOf(toPr),
    finishedRuns: succeeded + failed,
    ...(succeeded + failed > 0 ? { successRate: succeeded / (succeeded + failed) } : {}),
    openedPrs,
    mergedPrs,
    // A PR opened before the window may merge inside it: the rate is capped at 1.
    ...(openedPrs > 0 ? { mergeRate: Math.min(1, mergedPrs / openedPrs) } : {}),
    ...(mergedPrs > 0 ? { spendPerMergedPrUsd: roundUsd(spent / mergedPrs) } : {}),
  };
}

const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`;
const percent = (share: number) => `${Math.round(share * 100)}%`;
const dollars = (usd: number) => `$${usd.toFixed(2)}`;

/** The thresholds a project's 24-hour figures are on the wrong side of. */
export function findBreaches(mappingKey: string, figures: ServiceLevelFigures, thresholds: ServiceLevelThresholds | undefined): ServiceLevelBreach[] {
  if (!thresholds) return [];
  const out: ServiceLevelBreach[] = [];
  const add = (threshold: keyof ServiceLevelThresholds, message: string) => out.push({ mappingKey, threshold, message: `${message} (24 h)` });
  const first = figures.firstModelRequestMs.p95;
  if (thresholds.firstModelRequestP95Minutes !== undefined && first !== undefined && first > thresholds.firstModelRequestP95Minutes * 60_000) {
    add('firstModelRequestP95Minutes', `trigger → first model request p95 is ${minutes(first)}, over the threshold of ${thresholds.firstModelRequestP95Minutes} min`);
  }
  const toPr = figures.timeToPrMs.p95;
  if (thresholds.timeToPrP95Minutes !== undefined && toPr !== undefined && toPr > thresholds.timeToPrP95Minutes * 60_000) {
    add('timeToPrP95Minutes', `time to PR p95 is ${minutes(toPr)}, over the threshold of ${thresholds.timeToPrP95Minutes} min`);
  }
  if (thresholds.minSuccessRate !== undefined && figures.successRate !== undefined && figures.successRate < thresholds.minSuccessRate) {
    add('minSuccessRate', `success rate is ${percent(figures.successRate)}, under the threshold of ${percent(thresholds.minSuccessRate)}`);
  }
  if (thresholds.minMergeRate !== undefined && figures.mergeRate !== undefined && figures.mergeRate < thresholds.minMergeRate) {
    add('minMergeRate', `merge rate is ${percent(figures.mergeRate)}, under the threshold of ${percent(thresholds.minMergeRate)}`);
  }
  const spend = figures.spendPerMergedPrUsd;
  if (thresholds.maxSpendPerMergedPrUsd !== undefined && spend !== undefined && spend > thresholds.maxSpendPerMergedPrUsd) {
    add('maxSpendPerMergedPrUsd', `spend per merged PR is ${dollars(spend)}, over the threshold of ${dollars(thresholds.maxSpendPerMergedPrUsd)}`);
  }
  return out;
}

/**
 * Every project's and every repository's figures over both windows, and the
 * breaches of each project's thresholds. `runs` are those created in the last
 * 7 days (and `merges` those merged then); older ones are ignored.
 */
export function computeServiceLevels(input: { runs: readonly Run[]; merges: readonly MergedPull[]; mappings: readonly Mapping[]; nowMs: number }): ServiceLevelGroup[] {
  const repoOf = new Map(input.mappings.map((m) => [m.teamKey, `${m.owner}/${m.repo}`]));
  const groups = new Map<string, { kind: 'mapping' | 'repo'; key: string; runs: Run[]; merges: MergedPull[] }>();
  const groupOf = (kind: 'mapping' | 'repo', key: string) => {
    const id = `${kind}:${key}`;
    let group = groups.get(id);
    if (!group) groups.set(id, (group = { kind, key, runs: [], merges: [] }));
    return group;
  };
  for (const m of input.mappings) {
    groupOf('mapping', m.teamKey);
    groupOf('repo', `${m.owner}/${m.repo}`);
  }
  for (const run of input.runs) {
    groupOf('mapping', run.mappingKey).runs.push(run);
    const repo = repoOf.get(run.mappingKey);
    if (repo) groupOf('repo', repo).runs.push(run);
  }
  for (const merge of input.merges) {
    groupOf('mapping', merge.mappingKey).merges.push(merge);
    groupOf('repo', merge.repo).merges.push(merge);
  }
  const thresholds = new Map(input.mappings.map((m) => [m.teamKey, m.serviceLevels]));
  const out: ServiceLevelGroup[] = [];
  for (const group of groups.values()) {
    const windows = {} as Record<ServiceLevelWindow, ServiceLevelFigures>;
    for (const [name, span] of Object.entries(SERVICE_LEVEL_WINDOWS) as [ServiceLevelWindow, number][]) {
      const since = input.nowMs - span;
      windows[name] = measure(
        group.runs.filter((r) => Date.parse(r.createdAt) >= since),
        group.merges.filter((m) => Date.parse(m.mergedAt) >= since),
      );
    }
    const breaches = group.kind === 'mapping' ? findBreaches(group.key, windows['24h'], thresholds.get(group.key)) : [];
    out.push({ kind: group.kind, key: group.key, windows, breaches });
  }
  return out.sort((a, b) => a.kind.localeCompare(b.kind) || a.key.localeCompare(b.key));
}
