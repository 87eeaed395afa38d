import { Router } from 'express';
import { z } from 'zod';
import { DISPATCH_LOG_DEFAULT_LIMIT, DISPATCH_LOG_MAX_LIMIT, readDispatchLog } from '../../admin/dispatch-log.js';
import { NotFoundError } from '../../errors/index.js';
import { TRIGGER_SOURCES } from '../../domain/run.js';
import { RUN_STATUSES } from '../../domain/run-status.js';
import type { Store } from '../../store/store.js';
import type { ApiRouteModule } from './api-operation.js';
import { parseInput } from './parse-input.js';
import { dispatchLogEntrySchema, runAnswerSchema } from './run-schema.js';
import { cursorParam, intParam, listParam, textParam, timeParam } from './query-params.js';

export interface LogRoutesDeps {
  store: Store;
}

const BACKENDS = ['github-actions', 'fly-machines', 'local'] as const;
const TRIGGERS = TRIGGER_SOURCES;

const logQuery = z
  .object({
    limit: intParam(1, DISPATCH_LOG_MAX_LIMIT).optional(),
    cursor: cursorParam.optional(),
    status: listParam(RUN_STATUSES).optional(),
    mapping: textParam(100).optional(),
    backend: z.enum(BACKENDS, { message: `must be one of ${BACKENDS.join(', ')}` }).optional(),
    trigger: z.enum(TRIGGERS, { message: `must be one of ${TRIGGERS.join(', ')}` }).optional(),
    from: timeParam.optional(),
    to: timeParam.optional(),
  })
  .strict();

const auditQuery = z
  .object({
    limit: intParam(1, 500).optional(),
    cursor: cursorParam.optional(),
    actor: textParam().optional(),
    action: textParam().optional(),
  })
  .strict();

export function createLogRoutes(deps: LogRoutesDeps): ApiRouteModule {
  const { store } = deps;
  const router = Router();

  router.get('/api/log', async (req, res) => {
    const query = parseInput(logQuery, req.query, 'query');
    res.json(await readDispatchLog(store, query));
  });

  router.get('/api/jobs/:jobId/steps', async (req, res) => {
    const jobId = String(req.params.jobId);
    const run = await store.runs.getRun(jobId);
    if (!run) throw new NotFoundError(`No job with id ${jobId}`);
    res.json({ run, steps: await store.runs.listSteps(jobId) });
  });

  router.get('/api/audit', async (req, res) => {
    const query = parseInput(auditQuery, req.query, 'query');
    const page = await store.audit.list(query);
    res.json({ events: page.items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) });
  });

  return {
    router,
    operations: [
      {
        method: 'get',
        path: '/api/log',
        summary: `Dispatch log, newest first (${DISPATCH_LOG_DEFAULT_LIMIT} entries unless limit says otherwise; cursor pages to older ones)`,
        query: logQuery,
        response: z.object({ entries: z.array(dispatchLogEntrySchema), nextCursor: z.string().optional() }),
        statuses: { 200: 'a page of entries', 400: 'a bad filter, limit or cursor', 401: 'missing or invalid token' },
      },
      {
        method: 'get',
        path: '/api/jobs/:jobId/steps',
        summary: 'One job (run) with its pipeline steps',
        params: { jobId: 'The run id' },
        response: z.object({ run: runAnswerSchema, steps: z.array(z.record(z.string(), z.unknown())) }),
        statuses: { 200: 'the run and its steps', 401: 'missing or invalid token', 404: 'no such job' },
      },
      {
        method: 'get',
        path: '/api/audit',
        summary: 'Audit trail of admin changes and dispatch decisions, newest first',
        query: auditQuery,
        response: z.object({ events: z.array(z.object({ at: z.string(), actor: z.string(), action: z.string(), target: z.string(), before: z.unknown(), after: z.unknown() })), nextCursor: z.string().optional() }),
        statuses: { 200: 'a page of events', 400: 'a bad limit, cursor or filter', 401: 'missing or invalid token' },
      },
    ],
  };
}
