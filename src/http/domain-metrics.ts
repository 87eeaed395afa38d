import { Gauge, type Registry } from 'prom-client';
import { BLOCKER_EXPLANATIONS, type BlockerReason } from '../domain/plan-dispatch.js';
import type { IntakeCycleResult } from '../orchestrator/intake-cycle.js';
import type { Store } from '../store/store.js';
import { readServiceLevelsShared, type ServiceLevelReport } from '../admin/service-level-queries.js';
import { sumCostUsd, monthStartUtc } from '../domain/budget.js';

export interface DomainMetricsSources {
  store: Store;
  clock?: () => number;
  /** The latest full intake cycle, for blocker counts. */
  latestCycle: () => IntakeCycleResult | undefined;
}

/**
 * Gauges an operator alerts on, computed when Prometheus scrapes (from the
 * store's aggregates, which cover the whole history, not a sample).
 */
export function registerDomainMetrics(registry: Registry, sources: DomainMetricsSources): void {
  new Gauge({
    name: 'ai_implement_runs_in_progress',
    help: 'Live runs (queued, claimed, launching, running, retrying) per project mapping',
    labelNames: ['mapping'],
    registers: [registry],
    async collect() {
      this.reset();
      const stats = await sources.store.runs.stats();
      for (const [mapping, count] of Object.entries(stats.inProgressByMapping)) this.set({ mapping }, count);
    },
  });
  new Gauge({
    name: 'ai_implement_runs_last_24h',
    help: 'Runs created and runs failed in the last 24 hours',
    labelNames: ['kind'],
    registers: [registry],
    async collect() {
      const stats = await sources.store.runs.stats();
      this.set({ kind: 'created' }, stats.createdLast24h);
      this.set({ kind: 'failed' }, stats.failedLast24h);
    },
  });
  new Gauge({
    name: 'ai_implement_blocked_tickets',
    help: 'Eligible tickets not starting, by blocker reason, as of the latest intake cycle',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      const counts = Object.fromEntries(Object.keys(BLOCKER_EXPLANATIONS).map((r) => [r, 0])) as Record<BlockerReason, number>;
      for (const blocker of sources.latestCycle()?.plan.blockers ?? []) counts[blocker.reason] += 1;
      for (const [reason, count] of Object.entries(counts)) this.set({ reason }, count);
    },
  });
  // One read of the 7-day window serves every service-level gauge of a scrape (and the Overview meanwhile).
  const clock = sources.clock ?? Date.now;
  const serviceLevels = (): Promise<ServiceLevelReport> => readServiceLevelsShared(sources.store, clock());
  const groupLabels = (kind: string, key: string) => (kind === 'mapping' ? { mapping: key, repo: '' } : { mapping: '', repo: key });
  new Gauge({
    name: 'ai_implement_service_level_seconds',
    help: 'Service-level latencies per project mapping or repository: trigger to first model request, and trigger to pull request; p50 and p95 over the 24h and 7d windows',
    labelNames: ['mapping', 'repo', 'measure', 'quantile', 'window'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const group of (await serviceLevels()).groups) {
        for (const [window, figures] of Object.entries(group.windows)) {
          for (const [measure, p] of [['first_model_request', figures.firstModelRequestMs], ['time_to_pr', figures.timeToPrMs]] as const) {
            if (p.p50 !== undefined) this.set({ ...groupLabels(group.kind, group.key), measure, quantile: '0.5', window }, p.p50 / 1000);
            if (p.p95 !== undefined) this.set({ ...groupLabels(group.kind, group.key), measure, quantile: '0.95', window }, p.p95 / 1000);
          }
        }
      }
    },
  });
  new Gauge({
    name: 'ai_implement_service_level_ratio',
    help: 'Success rate of finished runs and merge rate of opened PRs per project mapping or repository, over the 24h and 7d windows',
    labelNames: ['mapping', 'repo', 'measure', 'window'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const group of (await serviceLevels()).groups) {
        for (const [window, figures] of Object.entries(group.windows)) {
          if (figures.successRate !== undefined) this.set({ ...groupLabels(group.kind, group.key), measure: 'success', window }, figures.successRate);
          if (figures.mergeRate !== undefined) this.set({ ...groupLabels(group.kind, group.key), measure: 'merge', window }, figures.mergeRate);
        }
      }
    },
  });
  new Gauge({
    name: 'ai_implement_spend_per_merged_pr_usd',
    help: 'What a merged PR cost (all its ticket’s runs) per project mapping or repository, over the 24h and 7d windows',
    labelNames: ['mapping', 'repo', 'window'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const group of (await serviceLevels()).groups) {
        for (const [window, figures] of Object.entries(group.windows)) {
          if (figures.spendPerMergedPrUsd !== undefined) this.set({ ...groupLabels(group.kind, group.key), window }, figures.spendPerMergedPrUsd);
        }
      }
    },
  });
  new Gauge({
    name: 'ai_implement_service_level_breaches',
    help: 'Service-level thresholds a project mapping breaches on the 24h window',
    labelNames: ['mapping', 'threshold'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const group of (await serviceLevels()).groups) for (const breach of group.breaches) this.set({ mapping: breach.mappingKey, threshold: breach.threshold }, 1);
    },
  });
  new Gauge({
    name: 'ai_implement_spend_month_usd',
    help: 'What each project mapping spent in the current calendar month (UTC), all runs',
    labelNames: ['mapping'],
    registers: [registry],
    async collect() {
      this.reset();
      const since = monthStartUtc(clock());
      for (const mapping of await sources.store.mappings.list()) {
        let total = 0;
        let cursor: string | undefined;
        for (;;) {
          const page = await sources.store.runs.listRuns({ mappingKey: mapping.teamKey, from: since, limit: 500, ...(cursor ? { cursor } : {}) });
          total += sumCostUsd(page.items);
          if (!page.nextCursor) break;
          cursor = page.nextCursor;
        }
        this.set({ mapping: mapping.teamKey }, total);
      }
    },
  });
  new Gauge({
    name: 'ai_implement_dedup_entries',
    help: 'Tickets inside the dedup window (including retry back-offs)',
    registers: [registry],
    async collect() {
      this.set((await sources.store.dedup.listActive()).length);
    },
  });
  new Gauge({
    name: 'ai_implement_inbox_backlog',
    help: 'Webhook deliveries acknowledged but not yet handled, by state (pending, or leased by the worker)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const { pending, leased } = await sources.store.inbox.backlog();
      this.set({ state: 'pending' }, pending);
      this.set({ state: 'leased' }, leased);
    },
  });
}
