import { Router } from 'express';
import { ValidationError } from '../../../errors/index.js';
import { page, redirectWithNotice, type AdminContext } from '../admin-context.js';
import { adminState } from '../admin-session.js';
import { noticeQuery } from '../notices.js';

/** The Blockers panel's Resume button on a ticket a spend limit paused: the same command as POST /api/tickets/:ticket/resume. */
export function createResumeTicketRoutes(ctx: AdminContext): Router {
  const router = Router();
  router.post(
    '/admin/tickets/:ticket/resume',
    page(ctx, 'blockers', async (req, res) => {
      const budget = ctx.deps.budget;
      if (!budget) throw new ValidationError('Tickets cannot be resumed in this build.');
      const ticket = String(req.params.ticket);
      if (!/^[A-Za-z0-9_.:-]{1,100}$/.test(ticket)) throw new ValidationError('ticket must be a ticket identifier or id, e.g. "ENG-12"', 'ticket');
      const resumed = await budget.resume(ticket, adminState(res).session.id);
      redirectWithNotice(res, '/admin/blockers', noticeQuery('ticket-resumed', resumed.identifier));
    }),
  );
  return router;
}
