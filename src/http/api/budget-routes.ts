import { Router } from 'express';
import { z } from 'zod';
import type { ResumedTicket } from '../../admin/resume-ticket.js';
import type { BudgetGuard } from '../../orchestrator/budget-guard.js';
import { adminSessionOf } from './api-guard.js';
import type { ApiRouteModule } from './api-operation.js';
import { parseInput } from './parse-input.js';

export interface BudgetRoutesDeps {
  budget: Pick<BudgetGuard, 'listPaused' | 'monthSpend'>;
  resume: (ticket: string, actor: string) => Promise<ResumedTicket>;
}

const ticketParams = z.object({
  ticket: z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/, 'ticket must be a ticket identifier or id, e.g. "ENG-12"'),
});

const pausedShape = z.object({
  issueId: z.string(),
  identifier: z.string(),
  tracker: z.enum(['linear', 'jira']),
  mappingKey: z.string(),
  reason: z.string(),
  pausedAt: z.string(),
  runId: z.string().optional(),
});

/** Tickets a spend limit paused, and their resume: `admin/resume-ticket.ts` decides, these routes only carry. */
export function createBudgetRoutes(deps: BudgetRoutesDeps): ApiRouteModule {
  const router = Router();

  router.get('/api/tickets/paused', async (_req, res) => {
    res.json({ tickets: await deps.budget.listPaused() });
  });

  router.post('/api/tickets/:ticket/resume', async (req, res) => {
    const { ticket } = parseInput(ticketParams, req.params, 'params');
    res.json(await deps.resume(ticket, adminSessionOf(res).id));
  });

  return {
    router,
    operations: [
      {
        method: 'get',
        path: '/api/tickets/paused',
        summary: 'Tickets a spend limit paused (newest first), with the limit and figures that paused them',
        response: z.object({ tickets: z.array(pausedShape) }),
        statuses: { 200: 'the paused tickets', 401: 'missing or invalid token', 503: 'the store is not open yet' },
      },
      {
        method: 'post',
        path: '/api/tickets/:ticket/resume',
        summary: 'Resume a ticket a spend limit paused, once the limit was raised (PATCH the mapping’s budget): the pause marker comes off, its dedup entry is cleared and intake takes it up',
        params: { ticket: 'The ticket identifier (e.g. ENG-12) or tracker id' },
        response: z.object({ issueId: z.string(), identifier: z.string(), mappingKey: z.string(), spentUsd: z.number(), perTicketUsd: z.number().optional() }),
        statuses: {
          200: 'resumed',
          400: 'ticket is not a ticket identifier',
          401: 'missing or invalid token',
          404: 'the ticket is not paused by a spend limit, or no longer exists',
          409: 'the limit is still reached (the message names it and how to raise it), or its project is gone',
          503: 'the store is not open yet',
        },
      },
    ],
  };
}
