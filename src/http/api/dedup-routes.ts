import { Router } from 'express';
import { z } from 'zod';
import { recordAdminChange } from '../../admin/record-admin-change.js';
import { NotFoundError } from '../../errors/index.js';
import type { Store } from '../../store/store.js';
import { adminSessionOf } from './api-guard.js';
import type { ApiRouteModule } from './api-operation.js';

export interface DedupRoutesDeps {
  store: Store;
  clock: () => number;
}

const entryShape = z.object({
  issueId: z.string(),
  identifier: z.string(),
  title: z.string().optional(),
  runId: z.string(),
  dispatchedAt: z.string(),
  expiresAt: z.string(),
  failures: z.number().optional(),
});

export function createDedupRoutes(deps: DedupRoutesDeps): ApiRouteModule {
  const { store, clock } = deps;
  const router = Router();

  router.get('/api/dedup', async (_req, res) => {
    const entries = (await store.dedup.listActive()).sort((a, b) => b.dispatchedAt.localeCompare(a.dispatchedAt));
    res.json({ entries });
  });

  router.delete('/api/dedup/:issueId', async (req, res) => {
    const key = String(req.params.issueId);
    // Operators see identifiers (ENG-12) in the panel, the ledger is keyed by tracker id: accept either.
    const entry = (await store.dedup.get(key)) ?? (await store.dedup.listActive()).find((e) => e.identifier === key);
    if (!entry || !(await store.dedup.delete(entry.issueId))) throw new NotFoundError(`No active dedup entry for ${key}`);
    await recordAdminChange(store.audit, clock, { actor: adminSessionOf(res).id, action: 'dedup.delete', target: `issue:${entry.identifier}`, before: entry });
    res.json({ deleted: entry.issueId, identifier: entry.identifier });
  });

  return {
    router,
    operations: [
      {
        method: 'get',
        path: '/api/dedup',
        summary: 'Tickets inside the dedup window (or a retry back-off), newest dispatch first',
        response: z.object({ entries: z.array(entryShape) }),
        statuses: { 200: 'the active entries', 401: 'missing or invalid token' },
      },
      {
        method: 'delete',
        path: '/api/dedup/:issueId',
        summary: 'Remove a ticket from the dedup window so the next poll may dispatch it again',
        params: { issueId: 'The tracker’s issue id, or its identifier (ENG-12)' },
        response: z.object({ deleted: z.string(), identifier: z.string() }),
        statuses: { 200: 'removed', 401: 'missing or invalid token', 404: 'no active entry for that issue' },
      },
    ],
  };
}
