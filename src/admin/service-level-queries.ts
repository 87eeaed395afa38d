import { computeServiceLevels, MERGE_AUDIT_ACTION, SERVICE_LEVEL_WINDOWS, type MergedPull, type ServiceLevelGroup } from '../domain/service-levels.js';
import type { Run } from '../domain/run.js';
import type { Store } from '../store/store.js';

/** Runs read for one computation at most; past it the oldest of the 7 days are left out (and the answer says so). */
export const MAX_SERVICE_LEVEL_RUNS = 20_000;

export interface ServiceLevelReport {
  groups: ServiceLevelGroup[];
  /** True when the 7-day window held more runs than were read. */
  truncated: boolean;
}

/**
 * The store reads behind the service levels, bounded: the runs created in
 * the last 7 days (newest first, by the run listing's createdAt index, at
 * most MAX_SERVICE_LEVEL_RUNS) and the merges recorded in the audit log over
 * the same window (newest first, stopping at the first older one).
 */
export async function readServiceLevels(store: Store, nowMs: number): Promise<ServiceLevelReport> {
  const since = nowMs - SERVICE_LEVEL_WINDOWS['7d'];
  const runs: Run[] = [];
  let cursor: string | undefined;
  let truncated = false;
  for (;;) {
    const page = await store.runs.listRuns({ from: since, limit: 500, ...(cursor ? { cursor } : {}) });
    runs.push(...page.items);
    if (!page.nextCursor) break;
    if (runs.length >= MAX_SERVICE_LEVEL_RUNS) {
      truncated = true;
      break;
    }
    cursor = page.nextCursor;
  }
  const merges: MergedPull[] = [];
  let auditCursor: string | undefined;
  outer: for (;;) {
    const page = await store.audit.list({ action: MERGE_AUDIT_ACTION, limit: 200, ...(auditCursor ? { cursor: auditCursor } : {}) });
    for (const event of page.items) {
      if (Date.parse(event.at) < since) break outer;
      const merge = event.after as Partial<MergedPull> | undefined;
      if (merge && typeof merge.mappingKey === 'string' && typeof merge.repo === 'string' && typeof merge.number === 'number' && typeof merge.ticketCostUsd === 'number') {
        merges.push({ mappingKey: merge.mappingKey, repo: merge.repo, number: merge.number, mergedAt: event.at, ticketCostUsd: merge.ticketCostUsd });
      }
    }
    if (!page.nextCursor) break;
    auditCursor = page.nextCursor;
  }
  const mappings = await store.mappings.list();
  return { groups: computeServiceLevels({ runs, merges, mappings, nowMs }), truncated };
}

/** How long one read of the window serves: a `/metrics` scrape's gauges and the Overview, which re-renders on every run change. */
export const SERVICE_LEVEL_REUSE_MS = 5_000;

const recent = new WeakMap<Store, { at: number; report: Promise<ServiceLevelReport> }>();

/**
 * `readServiceLevels`, shared per store for `SERVICE_LEVEL_REUSE_MS`: the
 * window is up to 20,000 runs, and both the scrape and every live refresh of
 * an open Overview ask for it, so they read it once between them. A failed
 * read is not kept.
 */
export function readServiceLevelsShared(store: Store, nowMs: number): Promise<ServiceLevelReport> {
  const held = recent.get(store);
  if (held && nowMs >= held.at && nowMs - held.at <= SERVICE_LEVEL_REUSE_MS) return held.report;
  const report = readServiceLevels(store, nowMs);
  recent.set(store, { at: nowMs, report });
  report.catch(() => {
    if (recent.get(store)?.report === report) recent.delete(store);
  });
  return report;
}
