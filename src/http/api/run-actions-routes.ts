import { Router } from 'express';
import { z } from 'zod';
import { manualRunSchema, reassignOwnerSchema, ticketSearchSchema, type RunActions } from '../../admin/run-actions.js';
import { adminSessionOf } from './api-guard.js';
import type { ApiRouteModule } from './api-operation.js';
import { parseInput } from './parse-input.js';
import { runAnswerSchema } from './run-schema.js';

export interface RunActionsRoutesDeps {
  /** The same commands the run page's buttons call. */
  actions: RunActions;
}

/** Run ids are UUIDs or `gh-` plus hex; nothing longer or stranger names a run. */
const runParams = z.object({ runId: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'runId must be a run id (letters, digits, "-" and "_")') });
const warnings = z.array(z.string()).optional().describe('Ticket writes or upstream calls that did not complete; the action itself is done');

const refusals = {
  400: 'runId is not a run id',
  401: 'missing or invalid token',
  404: 'no such run',
};

/** Stop, retry and delete of one run (issue 19): `admin/run-actions.ts` decides, these routes only carry. */
export function createRunActionsRoutes(deps: RunActionsRoutesDeps): ApiRouteModule {
  const { actions } = deps;
  const router = Router();

  router.post('/api/runs', async (req, res) => {
    res.status(201).json(await actions.start(req.body, adminSessionOf(res).id));
  });

  router.post('/api/runs/:runId/stop', async (req, res) => {
    const { runId } = parseInput(runParams, req.params, 'params');
    res.json(await actions.stop(runId, adminSessionOf(res).id));
  });

  router.post('/api/runs/:runId/restart', async (req, res) => {
    const { runId } = parseInput(runParams, req.params, 'params');
    res.json(await actions.restart(runId, adminSessionOf(res).id));
  });

  router.post('/api/runs/:runId/retry', async (req, res) => {
    const { runId } = parseInput(runParams, req.params, 'params');
    res.status(201).json(await actions.retry(runId, adminSessionOf(res).id));
  });

  router.get('/api/tickets/search', async (req, res) => {
    res.json(await actions.searchTickets(req.query));
  });

  router.post('/api/runs/:runId/owner', async (req, res) => {
    const { runId } = parseInput(runParams, req.params, 'params');
    res.json(await actions.reassign(runId, req.body, adminSessionOf(res).id));
  });

  router.delete('/api/runs/:runId', async (req, res) => {
    const { runId } = parseInput(runParams, req.params, 'params');
    res.json(await actions.delete(runId, adminSessionOf(res).id));
  });

  const params = { runId: 'The run id' };
  return {
    router,
    operations: [
      {
        method: 'post',
        path: '/api/runs',
        summary: 'Start a run for a ticket by identifier: the project is the one whose scope holds the ticket (its Linear team, or its Jira repository field) unless named; the same start as every trigger, recorded as manual',
        body: manualRunSchema,
        response: z.object({ run: runAnswerSchema, mappingChosen: z.enum(['named', 'matched']), warnings }),
        statuses: {
          201: 'started',
          400: 'bad body; no project covers the ticket or several do (name one); the named project does not exist or uses another tracker; planning is off',
          401: 'missing or invalid token',
          404: 'no such ticket in the trackers',
          409: 'the project is paused or at its cap, or the ticket already has a live run of that phase',
          503: 'the store is not open yet',
        },
      },
      {
        method: 'post',
        path: '/api/runs/:runId/stop',
        summary: 'Stop a live run (queued, claimed, launching, running or retrying): it is failed with "Stopped via admin", its Actions run cancelled or its machine or process destroyed, and a line posted on its ticket; a result the runner sends later is refused',
        params,
        response: z.object({ run: runAnswerSchema, upstreamCancelled: z.boolean(), warnings }),
        statuses: { 200: 'stopped', ...refusals, 409: 'the run is not live (the message names its status)', 503: 'the store is not open yet' },
      },
      {
        method: 'post',
        path: '/api/runs/:runId/restart',
        summary: 'Restart the job of a running run in place: its Fly machine is restarted, or its GitHub Actions workflow run cancelled and re-run as the next attempt; the runner reports with the same run tokens, and a line is posted on its ticket',
        params,
        response: z.object({ run: runAnswerSchema, warnings }),
        statuses: {
          200: 'restarted',
          ...refusals,
          409: 'the run is not running (the message names its status), runs on a backend that cannot restart (local), or has no job id yet',
          503: 'the store is not open yet, or the backend did not accept the restart (Retry-After)',
        },
      },
      {
        method: 'post',
        path: '/api/runs/:runId/retry',
        summary: 'Start a new run for the ticket and phase of a failed or cancelled run, through the same start as every trigger (one live run per ticket and phase, the project’s pause and concurrency cap); the old run’s runner tokens stay refused',
        params,
        response: z.object({ run: runAnswerSchema.describe('The new run'), retriedFrom: z.string(), warnings }),
        statuses: {
          201: 'the new run, dispatched',
          ...refusals,
          409: 'the run did not fail (the message names its status), is a shadow leg, was already retried, its ticket has a live run, or its project is paused, gone or at its cap',
          503: 'the orchestrator is still starting, or the tracker did not answer',
        },
      },
      {
        method: 'get',
        path: '/api/tickets/search',
        summary: 'Find tickets for a manual run by identifier or words of the title, in every configured tracker (Linear title contains, Jira summary ~), with the projects whose scope holds each: one is matched when a run starts, several need "mapping"',
        query: ticketSearchSchema,
        response: z.object({
          tickets: z.array(
            z.object({
              tracker: z.enum(['linear', 'jira']),
              id: z.string(),
              identifier: z.string(),
              title: z.string(),
              url: z.string(),
              stateName: z.string(),
              assigneeEmail: z.string().optional(),
              mappings: z.array(z.string()),
            }),
          ),
          warnings,
        }),
        statuses: { 200: 'the tickets found (none is not an error)', 400: 'q is missing, too short or too long, or limit is out of range', 401: 'missing or invalid token' },
      },
      {
        method: 'post',
        path: '/api/runs/:runId/owner',
        summary: 'Reassign a live run to another owner (an email); it is no longer marked ownerFallback. Audited as run.owner',
        params,
        body: reassignOwnerSchema,
        response: z.object({ run: runAnswerSchema, previousOwner: z.string().optional() }),
        statuses: { 200: 'reassigned', 400: 'runId is not a run id, or email is missing or not an address', 401: 'missing or invalid token', 404: 'no such run', 409: 'the run has finished (the message names its status)' },
      },
      {
        method: 'delete',
        path: '/api/runs/:runId',
        summary: 'Delete a finished run and its report (steps, logs) from the ledger; a line is posted on its ticket. A live run must be stopped first',
        params,
        response: z.object({ runId: z.string(), identifier: z.string(), warnings }),
        statuses: { 200: 'deleted', ...refusals, 409: 'the run is live (the message names its status): stop it first' },
      },
    ],
  };
}
