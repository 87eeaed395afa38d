import { Router } from 'express';
import { z } from 'zod';
import type { SessionsService } from '../../operations/sessions-service.js';
import { HttpError } from '../http-error.js';
import { adminSessionOf } from './api-guard.js';
import type { ApiRouteModule } from './api-operation.js';
import { parseInput } from './parse-input.js';

export interface SessionsRoutesDeps {
  /** Unset when Fly is not configured: both routes answer 503. */
  sessions: SessionsService | undefined;
}

const sessionShape = z.object({
  machineId: z.string(),
  name: z.string(),
  state: z.string(),
  region: z.string(),
  createdAt: z.string(),
  uptimeSeconds: z.number(),
  runId: z.string().optional(),
  issue: z.string().optional(),
  issueUrl: z.string().optional(),
  repo: z.string().optional(),
  mappingKey: z.string().optional(),
});

/** Fly machine ids are short lower-case hex; anything else cannot name a machine. */
const machineParams = z.object({ machineId: z.string().regex(/^[a-z0-9]{1,64}$/, 'machineId must be a Fly machine id (lower-case letters and digits)') });

const destroyedShape = z.object({
  machineId: z.string(),
  runId: z.string().optional(),
  issue: z.string().optional(),
  runSettled: z.boolean(),
  markerRemoved: z.boolean(),
  dedupCleared: z.boolean(),
});

function requireSessions(sessions: SessionsService | undefined): SessionsService {
  if (!sessions) throw new HttpError(503, 'fly_not_configured', 'Fly is not configured: set FLY_API_TOKEN (and FLY_SESSIONS_APP) to manage Fly Machine sessions.');
  return sessions;
}

/** The Sessions panel: live machines of the Fly sessions app, and destroying one. */
export function createSessionsRoutes(deps: SessionsRoutesDeps): ApiRouteModule {
  const router = Router();

  router.get('/api/sessions', async (_req, res) => {
    res.json({ sessions: await requireSessions(deps.sessions).list() });
  });

  router.delete('/api/sessions/:machineId', async (req, res) => {
    const sessions = requireSessions(deps.sessions);
    const { machineId } = parseInput(machineParams, req.params, 'params');
    res.json(await sessions.destroy(machineId, `admin-session:${adminSessionOf(res).id}`));
  });

  return {
    router,
    operations: [
      {
        method: 'get',
        path: '/api/sessions',
        summary: 'Fly Machine sessions in the created, starting or started state, with their run, ticket and repository when known',
        response: z.object({ sessions: z.array(sessionShape) }),
        statuses: { 200: 'the live sessions', 401: 'missing or invalid token', 503: 'Fly is not configured, or Fly did not answer' },
      },
      {
        method: 'delete',
        path: '/api/sessions/:machineId',
        summary: 'Destroy a session: the machine is destroyed, its run cancelled, the in-progress marker removed and the dedup entry cleared, so the next poll may dispatch the ticket again; a shadow leg’s machine takes only the leg with it (the primary keeps its marker and dedup entry)',
        params: { machineId: 'The Fly machine id' },
        response: destroyedShape,
        statuses: { 200: 'destroyed', 400: 'machineId is not a machine id', 401: 'missing or invalid token', 404: 'no such machine in the sessions app', 503: 'Fly is not configured, or Fly did not answer' },
      },
    ],
  };
}
