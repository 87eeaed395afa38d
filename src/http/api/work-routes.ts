import { Router } from 'express';
import { z } from 'zod';
import type { WorkQueries } from '../../admin/work-queries.js';
import type { ApiRouteModule } from './api-operation.js';
import { parseInput } from './parse-input.js';
import { intParam } from './query-params.js';

export interface WorkRoutesDeps {
  /** The same queries the `/admin` Work panels read. */
  work: WorkQueries;
}

const pullsQuery = z.object({ days: intParam(1, 365).optional() }).strict();
const rows = z.record(z.string(), z.unknown());

export function createWorkRoutes(deps: WorkRoutesDeps): ApiRouteModule {
  const { work } = deps;
  const router = Router();

  router.get('/api/issues', async (_req, res) => {
    res.json(await work.issues());
  });

  router.get('/api/pulls', async (req, res) => {
    const { days } = parseInput(pullsQuery, req.query, 'query');
    res.json(await work.pulls(days !== undefined ? { days } : {}));
  });

  router.get('/api/blockers', (_req, res) => {
    res.json(work.blockers());
  });

  return {
    router,
    operations: [
      {
        method: 'get',
        path: '/api/issues',
        summary: 'AI-Implement tickets matched by a mapping in the latest poll, then those of recent runs the poll no longer returns, with state, readiness and last run, plus in-progress counts per mapping',
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
