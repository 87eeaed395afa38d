import { Router } from 'express';
import { z } from 'zod';
import { MAX_SECRET_NAME_LENGTH, SECRET_NAME_PATTERN } from '../../operations/team-secret-plan.js';
import type { SecretsService } from '../../operations/secrets-service.js';
import { HttpError } from '../http-error.js';
import { adminSessionOf } from './api-guard.js';
import type { ApiRouteModule } from './api-operation.js';
import { parseInput } from './parse-input.js';

export interface SecretsRoutesDeps {
  /** Unset when Fly is not configured: secrets live in the Fly sessions app, so every route answers 503. */
  secrets: SecretsService | undefined;
}

const nameSchema = z
  .string({ error: 'name is required' })
  .min(1, 'name is required')
  .max(MAX_SECRET_NAME_LENGTH, `name must be at most ${MAX_SECRET_NAME_LENGTH} characters`)
  .regex(SECRET_NAME_PATTERN, 'name must be upper-case letters, digits and _ and start with a letter (e.g. MY_TOKEN)');

const setBody = z.object({
  name: nameSchema,
  value: z.string({ error: 'value is required and must be a string' }).min(1, 'value must not be empty'),
});

/** Names and metadata only: no answer ever carries a value. */
const entryShape = z.object({ name: z.string(), storedName: z.string(), digest: z.string(), createdAt: z.string() });

function requireSecrets(secrets: SecretsService | undefined): SecretsService {
  if (!secrets) throw new HttpError(503, 'fly_not_configured', 'Fly is not configured: secrets are Fly app secrets of the sessions app; set FLY_API_TOKEN (and FLY_SESSIONS_APP).');
  return secrets;
}

/** Global and per-team secrets (Fly app secrets of the sessions app); write-only values. */
export function createSecretsRoutes(deps: SecretsRoutesDeps): ApiRouteModule {
  const router = Router();
  const actorOf = (res: Parameters<typeof adminSessionOf>[0]) => `admin-session:${adminSessionOf(res).id}`;

  router.get('/api/global-secrets', async (_req, res) => {
    res.json({ secrets: await requireSecrets(deps.secrets).listGlobal() });
  });

  router.post('/api/global-secrets', async (req, res) => {
    const secrets = requireSecrets(deps.secrets);
    const { name, value } = parseInput(setBody, req.body ?? {}, 'body');
    res.status(201).json(await secrets.setGlobal(name, value, actorOf(res)));
  });

  router.delete('/api/global-secrets/:name', async (req, res) => {
    const secrets = requireSecrets(deps.secrets);
    await secrets.deleteGlobal(String(req.params.name), actorOf(res));
    res.json({ deleted: String(req.params.name) });
  });

  router.get('/api/mappings/:teamKey/secrets', async (req, res) => {
    res.json({ secrets: await requireSecrets(deps.secrets).listTeam(String(req.params.teamKey)) });
  });

  router.post('/api/mappings/:teamKey/secrets', async (req, res) => {
    const secrets = requireSecrets(deps.secrets);
    const { name, value } = parseInput(setBody, req.body ?? {}, 'body');
    res.status(201).json(await secrets.setTeam(String(req.params.teamKey), name, value, actorOf(res)));
  });

  router.delete('/api/mappings/:teamKey/secrets/:name', async (req, res) => {
    const secrets = requireSecrets(deps.secrets);
    await secrets.deleteTeam(String(req.params.teamKey), String(req.params.name), actorOf(res));
    res.json({ deleted: String(req.params.name) });
  });

  const unavailable = { 401: 'missing or invalid token', 503: 'Fly is not configured, or Fly did not answer' };
  return {
    router,
    operations: [
      {
        method: 'get',
        path: '/api/global-secrets',
        summary: 'Global secrets (Fly app secrets with no team prefix): names, digests and dates, never values',
        response: z.object({ secrets: z.array(entryShape) }),
        statuses: { 200: 'the secrets', ...unavailable },
      },
      {
        method: 'post',
        path: '/api/global-secrets',
        summary: 'Create or replace a global secret; every run receives it',
        body: setBody,
        response: entryShape,
        statuses: { 201: 'set', 400: 'bad name or value, or the name carries a team prefix', ...unavailable },
      },
      {
        method: 'delete',
        path: '/api/global-secrets/:name',
        summary: 'Delete a global secret',
        params: { name: 'The secret name' },
        response: z.object({ deleted: z.string() }),
        statuses: { 200: 'deleted', 400: 'bad name', 404: 'no such global secret', ...unavailable },
      },
      {
        method: 'get',
        path: '/api/mappings/:teamKey/secrets',
        summary: "A mapping's secrets (stored as <TEAM>_<NAME>): names, digests and dates, never values",
        params: { teamKey: 'The mapping’s team key' },
        response: z.object({ secrets: z.array(entryShape) }),
        statuses: { 200: 'the secrets', 404: 'no such mapping', ...unavailable },
      },
      {
        method: 'post',
        path: '/api/mappings/:teamKey/secrets',
        summary: "Create or replace a mapping's secret; only that mapping's runs see it, under its own name",
        params: { teamKey: 'The mapping’s team key' },
        body: setBody,
        response: entryShape,
        statuses: { 201: 'set', 400: 'bad name or value', 404: 'no such mapping', ...unavailable },
      },
      {
        method: 'delete',
        path: '/api/mappings/:teamKey/secrets/:name',
        summary: "Delete a mapping's secret",
        params: { teamKey: 'The mapping’s team key', name: 'The secret name without the team prefix' },
        response: z.object({ deleted: z.string() }),
        statuses: { 200: 'deleted', 400: 'bad name', 404: 'no such mapping or secret', ...unavailable },
      },
    ],
  };
}
