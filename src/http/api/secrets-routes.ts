import { Router } from 'express';
import { z } from 'zod';
import { MAX_SECRET_NAME_LENGTH, SECRET_NAME_PATTERN } from '../../operations/secret-names.js';
import type { SecretsService } from '../../operations/secrets-service.js';
import { HttpError } from '../http-error.js';
import { adminSessionOf } from './api-guard.js';
import type { ApiRouteModule } from './api-operation.js';
import { parseInput } from './parse-input.js';

export interface SecretsRoutesDeps {
  secrets: SecretsService;
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
const entryShape = z.object({
  name: z.string(),
  scope: z.enum(['global', 'mapping']),
  teamKey: z.string().optional(),
  fingerprint: z.string().describe('A keyed digest of the value: equal values show equal fingerprints'),
  version: z.number().int().describe('1 when first set, +1 at every rotation'),
  createdAt: z.string(),
  updatedAt: z.string(),
  updatedBy: z.string(),
});

/** Without the key nothing can be sealed: say which variable to set, before looking at the body. */
function requireWritable(secrets: SecretsService): SecretsService {
  if (!secrets.writable) {
    throw new HttpError(503, 'secrets_key_missing', 'SECRETS_ENCRYPTION_KEY is not set, so secrets cannot be stored; set it to 32 random bytes (openssl rand -base64 32) and restart.');
  }
  return secrets;
}

/** Global and per-mapping secrets of the broker; write-only values. */
export function createSecretsRoutes(deps: SecretsRoutesDeps): ApiRouteModule {
  const router = Router();
  const actorOf = (res: Parameters<typeof adminSessionOf>[0]) => `admin-session:${adminSessionOf(res).id}`;

  router.get('/api/global-secrets', async (_req, res) => {
    res.json({ secrets: await deps.secrets.listGlobal() });
  });

  router.post('/api/global-secrets', async (req, res) => {
    const secrets = requireWritable(deps.secrets);
    const { name, value } = parseInput(setBody, req.body ?? {}, 'body');
    res.status(201).json(await secrets.setGlobal(name, value, actorOf(res)));
  });

  router.delete('/api/global-secrets/:name', async (req, res) => {
    const secrets = deps.secrets;
    await secrets.deleteGlobal(String(req.params.name), actorOf(res));
    res.json({ deleted: String(req.params.name) });
  });

  router.get('/api/mappings/:teamKey/secrets', async (req, res) => {
    res.json({ secrets: await deps.secrets.listTeam(String(req.params.teamKey)) });
  });

  router.post('/api/mappings/:teamKey/secrets', async (req, res) => {
    const secrets = requireWritable(deps.secrets);
    const { name, value } = parseInput(setBody, req.body ?? {}, 'body');
    res.status(201).json(await secrets.setTeam(String(req.params.teamKey), name, value, actorOf(res)));
  });

  router.delete('/api/mappings/:teamKey/secrets/:name', async (req, res) => {
    const secrets = deps.secrets;
    await secrets.deleteTeam(String(req.params.teamKey), String(req.params.name), actorOf(res));
    res.json({ deleted: String(req.params.name) });
  });

  const unavailable = { 401: 'missing or invalid token' };
  const unsealable = { ...unavailable, 503: 'SECRETS_ENCRYPTION_KEY is not set' };
  return {
    router,
    operations: [
      {
        method: 'get',
        path: '/api/global-secrets',
        summary: 'Global secrets: names, fingerprints, versions and dates, never values',
        response: z.object({ secrets: z.array(entryShape) }),
        statuses: { 200: 'the secrets', ...unavailable },
      },
      {
        method: 'post',
        path: '/api/global-secrets',
        summary: 'Create or rotate a global secret; every run receives it (a mapping secret of the same name wins)',
        body: setBody,
        response: entryShape,
        statuses: { 201: 'set', 400: 'bad or reserved name, or bad value', ...unsealable },
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
        summary: "A mapping's secrets: names, fingerprints, versions and dates, never values",
        params: { teamKey: 'The mapping’s team key' },
        response: z.object({ secrets: z.array(entryShape) }),
        statuses: { 200: 'the secrets', 404: 'no such mapping', ...unavailable },
      },
      {
        method: 'post',
        path: '/api/mappings/:teamKey/secrets',
        summary: "Create or rotate a mapping's secret; only that mapping's runs receive it",
        params: { teamKey: 'The mapping’s team key' },
        body: setBody,
        response: entryShape,
        statuses: { 201: 'set', 400: 'bad or reserved name, or bad value', 404: 'no such mapping', ...unsealable },
      },
      {
        method: 'delete',
        path: '/api/mappings/:teamKey/secrets/:name',
        summary: "Delete a mapping's secret",
        params: { teamKey: 'The mapping’s team key', name: 'The secret name' },
        response: z.object({ deleted: z.string() }),
        statuses: { 200: 'deleted', 400: 'bad name', 404: 'no such mapping or secret', ...unavailable },
      },
    ],
  };
}
