import { Router } from 'express';
import { z } from 'zod';
import type { AdminCommands } from '../../admin/admin-commands.js';
import type { Store } from '../../store/store.js';
import { adminSessionOf } from './api-guard.js';
import type { ApiRouteModule } from './api-operation.js';

export interface DedupRoutesDeps {
  store: Store;
  commands: AdminCommands;
}

const entryShape = z.object({
  issueId: z.string(),
  identifier: z.string(),
  title: z.string().optional(),
  runId: z.string(),
  dispatchedAt: z.string(),
  expiresAt: z.string(),
  failures: z.number().optional(),
  dispatchNumber: z.number().optional(),
  phase: z.string().optional().describe('The phase the latest run was dispatched for; the entry holds the ticket for that phase only'),
});

export function createDedupRoutes(deps: DedupRoutesDeps): ApiRouteModule {
  const { store, commands } = deps;
  const router = Router();

  router.get('/api/dedup', async (_req, res) => {
    const entries = (await store.dedup.listActive()).sort((a, b) => b.dispatchedAt.localeCompare(a.dispatchedAt));
    res.json({ entries });
  });

  router.delete('/api/dedup/:issueId', async (req, res) => {
    const entry = await commands.deleteDedup(String(req.params.issueId), adminSessionOf(res).id);
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
