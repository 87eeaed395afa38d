import { Router } from 'express';
import { z } from 'zod';
import { buildBlockersView, buildIssuesView, buildPullsView } from '../../admin/work-views.js';
import type { Run } from '../../domain/run.js';
import type { IntakeCycleResult } from '../../orchestrator/intake-cycle.js';
import type { Store } from '../../store/store.js';
import type { ApiRouteModule } from './api-operation.js';
import { parseInput } from './parse-input.js';
import { intParam } from './query-params.js';

export interface WorkRoutesDeps {
  store: Store;
  clock: () => number;
  /** The poller's latest full cycle (undefined before the first one). */
  latestCycle: () => IntakeCycleResult | undefined;
}

/** PRs are found by walking recent runs; this bounds one request's work on a large ledger. */
const PULLS_MAX_RUNS_SCANNED = 5_000;
const pullsQuery = z.object({ days: intParam(1, 365).optional() }).strict();
const rows = z.record(z.string(), z.unknown());

export function createWorkRoutes(deps: WorkRoutesDeps): ApiRouteModule {
  const { store, clock } = deps;
  const router = Router();

  router.get('/api/issues', async (_req, res) => {
    const [mappings, stats] = await Promise.all([store.mappings.list(), store.runs.stats()]);
    res.json(buildIssuesView(deps.latestCycle(), mappings, stats.inProgressByMapping));
  });

  router.get('/api/pulls', async (req, res) => {
    const { days = 30 } = parseInput(pullsQuery, req.query, 'query');
    const now = clock();
    const runs: Run[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.runs.listRuns({ from: now - days * 86_400_000, limit: 500, ...(cursor ? { cursor } : {}) });
      runs.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor && runs.length < PULLS_MAX_RUNS_SCANNED);
    res.json({ pulls: buildPullsView(runs, deps.latestCycle(), now), days, runsScanned: runs.length, truncated: cursor !== undefined });
  });

  router.get('/api/blockers', (_req, res) => {
    res.json(buildBlockersView(deps.latestCycle()));
  });

  return {
    router,
    operations: [
      {
        method: 'get',
        path: '/api/issues',
        summary: 'AI-Implement tickets matched by a mapping in the latest poll, with state and readiness, plus in-progress counts per mapping',
        response: z.object({ cycleAt: z.string().nullable(), issues: z.array(rows), inProgressByMapping: z.array(z.object({ mappingKey: z.string(), inProgress: z.number(), cap: z.number(), paused: z.boolean() })) }),
        statuses: { 200: 'the inbox', 401: 'missing or invalid token' },
      },
      {
        method: 'get',
        path: '/api/pulls',
        summary: 'Bot-opened pull requests from the runs of the last `days` (default 30), with job status and iteration count',
        query: pullsQuery,
        response: z.object({ pulls: z.array(rows), days: z.number(), runsScanned: z.number(), truncated: z.boolean() }),
        statuses: { 200: 'the pull requests', 400: 'bad days', 401: 'missing or invalid token' },
      },
      {
        method: 'get',
        path: '/api/blockers',
        summary: 'Eligible tickets the latest poll did not start, with the reason, its explanation and KPIs',
        response: z.object({ cycleAt: z.string().nullable(), kpis: rows, blockers: z.array(rows) }),
        statuses: { 200: 'the blockers', 401: 'missing or invalid token' },
      },
    ],
  };
}
