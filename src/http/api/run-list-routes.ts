import { Router } from 'express';
import { z } from 'zod';
import { readRunList, RUN_LIST_DEFAULT_LIMIT, RUN_LIST_MAX_LIMIT } from '../../admin/run-list.js';
import { RENAMED_TRIGGER_SOURCES, RUN_STATUSES, TRIGGER_SOURCES } from '../../domain/run.js';
import { ownerEmailSchema } from '../../domain/run-owner.js';
import { RENAMED_RUN_STATUSES } from '../../domain/run-status.js';
import type { Store } from '../../store/store.js';
import type { ApiRouteModule } from './api-operation.js';
import { invalidRequest, parseInput } from './parse-input.js';
import { cursorParam, intParam, listParam, oneOfParam, textParam, timeParam } from './query-params.js';
import { dispatchLogEntrySchema } from './run-schema.js';

export interface RunListRoutesDeps {
  store: Store;
}

const BACKENDS = ['github-actions', 'fly-machines', 'local'] as const;

/** The query of `GET /api/runs`; the Runs panel reads the same names from its own query string. */
export const runListQuery = z
  .object({
    limit: intParam(1, RUN_LIST_MAX_LIMIT).optional(),
    cursor: cursorParam.optional(),
    status: listParam(RUN_STATUSES, RENAMED_RUN_STATUSES).optional().describe('Comma-separated statuses'),
    mapping: textParam(100).optional().describe('A project (mapping teamKey)'),
    runtime: textParam(100).optional().describe('The agent runtime, e.g. claude-code'),
    source: oneOfParam(TRIGGER_SOURCES, RENAMED_TRIGGER_SOURCES).optional().describe('What started the run'),
    backend: z.enum(BACKENDS, { message: `must be one of ${BACKENDS.join(', ')}` }).optional(),
    owner: z
      .string()
      .trim()
      .refine((v) => v === 'me' || ownerEmailSchema.safeParse(v).success, 'must be an email address, e.g. "ann@example.com"')
      .transform((v) => (v === 'me' ? v : ownerEmailSchema.parse(v)))
      .optional()
      .describe('An owner email; "me" only in the panel, where the operator has said who they are'),
    from: timeParam.optional(),
    to: timeParam.optional(),
  })
  .strict();

const statusCounts = z.object(Object.fromEntries(RUN_STATUSES.map((s) => [s, z.number().int()])) as Record<string, z.ZodNumber>);

/** `GET /api/runs`: the run list with its filters and the summary counts per status. */
export function createRunListRoutes(deps: RunListRoutesDeps): ApiRouteModule {
  const router = Router();

  router.get('/api/runs', async (req, res) => {
    const query = parseInput(runListQuery, req.query, 'query');
    if (query.owner === 'me') {
      // A bearer token is a session made from the shared access code: it says nothing about who holds it.
      throw invalidRequest([{ field: 'owner', message: 'cannot be "me" over the API: a token does not say who you are; send your email, e.g. owner=ann@example.com' }]);
    }
    res.json(await readRunList(deps.store, { ...query, owner: query.owner }));
  });

  return {
    router,
    operations: [
      {
        method: 'get',
        path: '/api/runs',
        summary: `Runs newest first, filtered by status, project, agent runtime, trigger source, backend, owner and creation time (from inclusive, to exclusive), ${RUN_LIST_DEFAULT_LIMIT} a page unless limit says otherwise (cursor pages to older ones), with the count per status over the same filters without the status one`,
        query: runListQuery,
        response: z.object({
          runs: z.array(dispatchLogEntrySchema),
          counts: statusCounts.describe('Runs per status for the other filters: the summary cards'),
          total: z.number().int().describe('Runs the whole filter matches'),
          nextCursor: z.string().optional(),
        }),
        statuses: { 200: 'a page of runs and the counts', 400: 'a bad filter, limit or cursor (the message names it)', 401: 'missing or invalid token' },
      },
    ],
  };
}
