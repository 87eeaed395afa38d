import { Router } from 'express';
import { z } from 'zod';
import { REAPER_RULES } from '../../operations/reaper-rules.js';
import type { Store } from '../../store/store.js';
import type { ApiRouteModule } from './api-operation.js';
import { parseInput } from './parse-input.js';

export interface ReaperRoutesDeps {
  store: Store;
  clock: () => number;
}

const DAY_MS = 24 * 3_600_000;

const recentQuery = z.object({
  limit: z.coerce.number().int('limit must be a whole number').min(1, 'limit must be at least 1').max(500, 'limit must be at most 500').optional(),
});

const actionShape = z.object({
  at: z.string(),
  rule: z.string(),
  machineId: z.string(),
  tenant: z.string(),
  issue: z.string(),
  ageSeconds: z.number(),
  mode: z.enum(['dry-run', 'destroyed']),
});

const summaryShape = z.object({
  since: z.string(),
  total: z.number(),
  destroyed: z.number(),
  dryRun: z.number(),
  byRule: z.record(z.string(), z.number()),
});

/** The Reaper panel: what the reconciliation sweep destroyed (or would have, in dry-run mode). */
export function createReaperRoutes(deps: ReaperRoutesDeps): ApiRouteModule {
  const { store, clock } = deps;
  const router = Router();

  router.get('/api/reaper/summary', async (_req, res) => {
    const since = new Date(clock() - DAY_MS).toISOString();
    const summary = await store.reaper.summary(since);
    // Every rule is listed, zero included, so the panel's cards do not come and go.
    const byRule: Record<string, number> = Object.fromEntries(REAPER_RULES.map((rule) => [rule, 0]));
    for (const [rule, count] of Object.entries(summary.byRule)) byRule[rule] = count;
    res.json({ since, total: summary.total, destroyed: summary.destroyed, dryRun: summary.dryRun, byRule });
  });

  router.get('/api/reaper/recent', async (req, res) => {
    const { limit } = parseInput(recentQuery, req.query, 'query');
    res.json({ actions: await store.reaper.listRecent(limit ?? 100) });
  });

  return {
    router,
    operations: [
      {
        method: 'get',
        path: '/api/reaper/summary',
        summary: 'Reaper actions in the last 24 hours, by rule (orphan, stale-terminal-job, max-age-exceeded, issue-terminal)',
        response: summaryShape,
        statuses: { 200: 'the summary', 401: 'missing or invalid token' },
      },
      {
        method: 'get',
        path: '/api/reaper/recent',
        summary: 'Recent reaper actions, newest first, each marked dry-run or destroyed',
        query: recentQuery,
        response: z.object({ actions: z.array(actionShape) }),
        statuses: { 200: 'the actions', 400: 'limit is not a whole number from 1 to 500', 401: 'missing or invalid token' },
      },
    ],
  };
}
