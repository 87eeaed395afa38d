import { Router } from 'express';
import { z } from 'zod';
import type { ScheduleCommands } from '../../admin/schedule-commands.js';
import { WEEKDAYS } from '../../domain/schedule.js';
import { cadenceSchema, newScheduleSchema, schedulePatchSchema } from '../../domain/schedule-input.js';
import { adminSessionOf } from './api-guard.js';
import type { ApiRouteModule } from './api-operation.js';
import { parseInput } from './parse-input.js';

export interface SchedulesRoutesDeps {
  /** The same commands the Schedules panel calls. */
  schedules: ScheduleCommands;
}

const idParams = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'id must be a schedule id (letters, digits, "-" and "_"), e.g. "sch-1a2b3c4d"') });

const outcomeShape = z.object({ kind: z.enum(['started', 'deferred', 'failed']), at: z.string(), reason: z.string().optional() });

const scheduleShape = z.object({
  id: z.string(),
  name: z.string(),
  mappingKey: z.string(),
  cadence: cadenceSchema,
  instructions: z.string(),
  runAs: z.string(),
  enabled: z.boolean(),
  nextRunAt: z.string().optional().describe('Absent once a one-off schedule has fired'),
  lastRunAt: z.string().optional(),
  lastRunId: z.string().optional(),
  lastIssue: z.string().optional().describe('The identifier of the last ticket it opened'),
  lastIssueId: z.string().optional(),
  lastOutcome: outcomeShape.optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const unauthorised = { 401: 'missing or invalid token' };

/** `/api/schedules`: scheduled runs per project (issue 19, item 7); `admin/schedule-commands.ts` decides, these routes only carry. */
export function createSchedulesRoutes(deps: SchedulesRoutesDeps): ApiRouteModule {
  const { schedules } = deps;
  const router = Router();
  const actor = (res: Parameters<typeof adminSessionOf>[0]) => adminSessionOf(res).id;

  router.get('/api/schedules', async (_req, res) => {
    res.json({ schedules: await schedules.list() });
  });

  router.post('/api/schedules', async (req, res) => {
    res.status(201).json(await schedules.create(req.body ?? {}, actor(res)));
  });

  router.get('/api/schedules/:id', async (req, res) => {
    const { id } = parseInput(idParams, req.params, 'params');
    res.json(await schedules.get(id));
  });

  router.patch('/api/schedules/:id', async (req, res) => {
    const { id } = parseInput(idParams, req.params, 'params');
    res.json(await schedules.update(id, req.body ?? {}, actor(res)));
  });

  router.delete('/api/schedules/:id', async (req, res) => {
    const { id } = parseInput(idParams, req.params, 'params');
    const deleted = await schedules.delete(id, actor(res));
    res.json({ deleted: deleted.id });
  });

  router.post('/api/schedules/:id/run', async (req, res) => {
    const { id } = parseInput(idParams, req.params, 'params');
    const fired = await schedules.fireNow(id, actor(res));
    res.status(fired.outcome.kind === 'started' ? 201 : 200).json(fired);
  });

  const params = { id: 'The schedule id' };
  return {
    router,
    operations: [
      {
        method: 'get',
        path: '/api/schedules',
        summary: 'Every schedule, oldest first, with its next fire and last outcome',
        response: z.object({ schedules: z.array(scheduleShape) }),
        statuses: { 200: 'the schedules', ...unauthorised },
      },
      {
        method: 'post',
        path: '/api/schedules',
        summary: `Create a schedule: at each fire it opens a ticket in the project's tracker (the name and the date as title, the instructions as description) and starts its run, recorded with trigger source "schedule" under runAs. Cadences: daily {at: "HH:MM", timeZone?}, weekly {days: [${WEEKDAYS.join(', ')}], at, timeZone?}, interval {everyMinutes ≥ 15}, once {at: ISO instant}`,
        body: newScheduleSchema,
        response: scheduleShape,
        statuses: { 201: 'created', 400: 'bad body (the field is named), unknown project, a project whose tracker cannot open tickets, a one-off time in the past', ...unauthorised },
      },
      {
        method: 'get',
        path: '/api/schedules/:id',
        summary: 'One schedule',
        params,
        response: scheduleShape,
        statuses: { 200: 'the schedule', 400: 'bad id', 404: 'no such schedule', ...unauthorised },
      },
      {
        method: 'patch',
        path: '/api/schedules/:id',
        summary: 'Change a schedule; {"enabled": false} disables it, {"enabled": true} enables it again from the next slot (missed slots are not owed); a new cadence counts from now',
        params,
        body: schedulePatchSchema,
        response: scheduleShape,
        statuses: { 200: 'changed', 400: 'bad body or id', 404: 'no such schedule', ...unauthorised },
      },
      {
        method: 'delete',
        path: '/api/schedules/:id',
        summary: 'Delete a schedule; the tickets and runs it made stay',
        params,
        response: z.object({ deleted: z.string() }),
        statuses: { 200: 'deleted', 400: 'bad id', 404: 'no such schedule', ...unauthorised },
      },
      {
        method: 'post',
        path: '/api/schedules/:id/run',
        summary: 'Fire a schedule now (its next slot stays): opens the ticket and starts the run',
        params,
        response: z.object({ schedule: scheduleShape, outcome: outcomeShape }),
        statuses: {
          201: 'fired: the ticket was opened and its run started',
          200: 'fired, but deferred (project paused or at its cap) or failed; the outcome says why',
          400: 'bad id',
          404: 'no such schedule',
          409: "the previous fire's run is still live: nothing was opened",
          ...unauthorised,
        },
      },
    ],
  };
}
