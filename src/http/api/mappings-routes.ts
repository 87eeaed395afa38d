import { Router } from 'express';
import { z } from 'zod';
import { mappingPatchSchema, type AdminCommands } from '../../admin/admin-commands.js';
import { mappingInputSchema } from '../../domain/mapping-schema.js';
import type { Store } from '../../store/store.js';
import { adminSessionOf } from './api-guard.js';
import type { ApiRouteModule } from './api-operation.js';

export interface MappingsRoutesDeps {
  store: Store;
  commands: AdminCommands;
}

const mappingShape = z.record(z.string(), z.unknown()).describe('A stored mapping with every default filled in');

export function createMappingsRoutes(deps: MappingsRoutesDeps): ApiRouteModule {
  const { store, commands } = deps;
  const router = Router();

  router.get('/api/mappings', async (_req, res) => {
    const mappings = (await store.mappings.list()).sort((a, b) => a.teamKey.localeCompare(b.teamKey));
    res.json({ mappings });
  });

  router.post('/api/mappings', async (req, res) => {
    const { mapping, created } = await commands.saveMapping(req.body, adminSessionOf(res).id);
    res.status(created ? 201 : 200).json({ mapping, created });
  });

  router.patch('/api/mappings/:teamKey', async (req, res) => {
    res.json({ mapping: await commands.updateMapping(String(req.params.teamKey), req.body, adminSessionOf(res).id) });
  });

  router.delete('/api/mappings/:teamKey', async (req, res) => {
    const teamKey = String(req.params.teamKey);
    await commands.deleteMapping(teamKey, adminSessionOf(res).id);
    res.json({ deleted: teamKey });
  });

  const teamKeyParam = { teamKey: 'The mapping’s key (Linear team key or the name given to a Jira scope)' };
  return {
    router,
    operations: [
      {
        method: 'get',
        path: '/api/mappings',
        summary: 'List all project mappings',
        response: z.object({ mappings: z.array(mappingShape) }),
        statuses: { 200: 'the mappings, by teamKey', 401: 'missing or invalid token' },
      },
      {
        method: 'post',
        path: '/api/mappings',
        summary: 'Create a project mapping, or replace the one with the same teamKey (defaults filled in)',
        body: mappingInputSchema,
        response: z.object({ mapping: mappingShape, created: z.boolean() }),
        statuses: { 200: 'replaced', 201: 'created', 400: 'invalid mapping; `problems` lists every bad field', 401: 'missing or invalid token' },
      },
      {
        method: 'patch',
        path: '/api/mappings/:teamKey',
        summary: 'Change any fields of a mapping without sending the rest (JSON merge patch); the result is validated as a whole',
        params: teamKeyParam,
        body: mappingPatchSchema,
        response: z.object({ mapping: mappingShape }),
        statuses: { 200: 'updated', 400: 'invalid or unknown field, a credential in extraEnv, or a changed teamKey; `problems` lists every bad field', 401: 'missing or invalid token', 404: 'no such mapping' },
      },
      {
        method: 'delete',
        path: '/api/mappings/:teamKey',
        summary: 'Delete a mapping (its runs and history stay)',
        params: teamKeyParam,
        response: z.object({ deleted: z.string() }),
        statuses: { 200: 'deleted', 401: 'missing or invalid token', 404: 'no such mapping' },
      },
    ],
  };
}
