import { Router } from 'express';
import { z } from 'zod';
import { recordAdminChange } from '../../admin/record-admin-change.js';
import { mappingInputSchema, parseMapping } from '../../domain/mapping-schema.js';
import { NotFoundError } from '../../errors/index.js';
import type { Store } from '../../store/store.js';
import { adminSessionOf } from './api-guard.js';
import type { ApiRouteModule } from './api-operation.js';
import { invalidRequest, parseInput } from './parse-input.js';

export interface MappingsRoutesDeps {
  store: Store;
  clock: () => number;
}

/** Only the two knobs an operator turns during an incident; everything else goes through POST. */
const patchBody = z
  .object({
    maxInProgressAiIssues: z.number().int('must be a whole number').min(1, 'must be at least 1').max(100, 'must be at most 100').optional(),
    paused: z.boolean().optional(),
  })
  .strict()
  .refine((b) => b.maxInProgressAiIssues !== undefined || b.paused !== undefined, { message: 'send maxInProgressAiIssues and/or paused' });

const mappingShape = z.record(z.string(), z.unknown()).describe('A stored mapping with every default filled in');

export function createMappingsRoutes(deps: MappingsRoutesDeps): ApiRouteModule {
  const { store, clock } = deps;
  const router = Router();

  router.get('/api/mappings', async (_req, res) => {
    const mappings = (await store.mappings.list()).sort((a, b) => a.teamKey.localeCompare(b.teamKey));
    res.json({ mappings });
  });

  router.post('/api/mappings', async (req, res) => {
    const body: unknown = req.body;
    const teamKey = typeof body === 'object' && body !== null ? (body as { teamKey?: unknown }).teamKey : undefined;
    const existing = typeof teamKey === 'string' ? await store.mappings.get(teamKey.trim()) : undefined;
    const parsed = parseMapping(body, new Date(clock()).toISOString(), existing);
    if (!parsed.ok) throw invalidRequest(parsed.problems);
    const saved = await store.mappings.upsert(parsed.mapping);
    await recordAdminChange(store.audit, clock, {
      actor: adminSessionOf(res).id,
      action: existing ? 'mapping.replace' : 'mapping.create',
      target: `mapping:${saved.teamKey}`,
      ...(existing ? { before: existing } : {}),
      after: saved,
    });
    res.status(existing ? 200 : 201).json({ mapping: saved, created: !existing });
  });

  router.patch('/api/mappings/:teamKey', async (req, res) => {
    const teamKey = String(req.params.teamKey);
    const patch = parseInput(patchBody, req.body, 'body');
    const existing = await store.mappings.get(teamKey);
    if (!existing) throw new NotFoundError(`No mapping with teamKey ${teamKey}`);
    const saved = await store.mappings.upsert({ ...existing, ...patch, updatedAt: new Date(clock()).toISOString() });
    const changed = Object.keys(patch) as (keyof typeof patch)[];
    await recordAdminChange(store.audit, clock, {
      actor: adminSessionOf(res).id,
      action: 'mapping.update',
      target: `mapping:${teamKey}`,
      before: Object.fromEntries(changed.map((k) => [k, existing[k]])),
      after: Object.fromEntries(changed.map((k) => [k, saved[k]])),
    });
    res.json({ mapping: saved });
  });

  router.delete('/api/mappings/:teamKey', async (req, res) => {
    const teamKey = String(req.params.teamKey);
    const existing = await store.mappings.get(teamKey);
    if (!existing || !(await store.mappings.delete(teamKey))) throw new NotFoundError(`No mapping with teamKey ${teamKey}`);
    await recordAdminChange(store.audit, clock, { actor: adminSessionOf(res).id, action: 'mapping.delete', target: `mapping:${teamKey}`, before: existing });
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
        summary: 'Change a mapping’s concurrency cap (maxInProgressAiIssues) or paused state',
        params: teamKeyParam,
        body: patchBody,
        response: z.object({ mapping: mappingShape }),
        statuses: { 200: 'updated', 400: 'invalid or unknown field', 401: 'missing or invalid token', 404: 'no such mapping' },
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
