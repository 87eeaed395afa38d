import { Gauge, type Registry } from 'prom-client';
import { BLOCKER_EXPLANATIONS, type BlockerReason } from '../domain/plan-dispatch.js';
import type { IntakeCycleResult } from '../orchestrator/intake-cycle.js';
import type { Store } from '../store/store.js';

export interface DomainMetricsSources {
  store: Store;
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
