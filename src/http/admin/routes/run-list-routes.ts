import { Router, type Request, type Response } from 'express';
import { ownerFromAssignee } from '../../../domain/run-owner.js';
import { ValidationError } from '../../../errors/index.js';
import { page, panelContext, redirectWithNotice, sendPage, type AdminContext } from '../admin-context.js';
import { adminState } from '../admin-session.js';
import { readCookie } from '../cookies.js';
import { noticeQuery } from '../notices.js';
import { buildJobs } from '../view-models/jobs-view.js';

/**
 * "Who am I" for "My runs": the panels log in with the shared access code, so
 * nothing says which operator holds a session. An operator may say their
 * email once; it is kept in this browser only (a cookie, HttpOnly,
 * SameSite=Strict), grants nothing, and only fills `owner=me` on the Pipelines
 * panel. The API has no such notion and refuses `owner=me` with a sentence.
 */
export const OPERATOR_COOKIE = 'ai_implement_operator';
const OPERATOR_COOKIE_DAYS = 365;

export function operatorOf(req: Request): string | undefined {
  return ownerFromAssignee(readCookie(req.headers.cookie, OPERATOR_COOKIE));
}

const HEARTBEAT_MS = 15_000;
/** Changes closer together than this are sent as one (a list page refetches once per batch). */
const BATCH_MS = 300;

/** The Pipelines list (summary cards, filters, "My runs"), the New run dialog's search, reassigning a run, and the stream that keeps list pages current. */
export function createRunListRoutes(ctx: AdminContext): Router {
  const router = Router();

  router.get(
    '/admin/jobs',
    page(ctx, 'jobs', async (req, res) => {
      const operator = operatorOf(req);
      sendPage(ctx, req, res, 'jobs', 'panels/jobs', await buildJobs({ ...panelContext(ctx, req), ...(operator ? { operator } : {}) }));
    }),
  );

  router.post(
    '/admin/whoami',
    page(ctx, 'jobs', async (req, res) => {
      const raw = typeof req.body?.email === 'string' ? req.body.email.trim() : '';
      const email = ownerFromAssignee(raw);
      if (raw && !email) throw new ValidationError('email: must be an email address, e.g. "ann@example.com"', 'email');
      const parts = [`${OPERATOR_COOKIE}=${encodeURIComponent(email ?? '')}`, 'Path=/admin', 'HttpOnly', 'SameSite=Strict'];
      if (ctx.deps.config.production) parts.push('Secure');
      parts.push(email ? `Max-Age=${OPERATOR_COOKIE_DAYS * 86_400}` : 'Max-Age=0');
      res.setHeader('Set-Cookie', parts.join('; '));
      res.redirect(303, email ? '/admin/jobs?owner=me' : '/admin/jobs');
    }),
  );

  router.get(
    '/admin/tickets/search',
    page(ctx, 'jobs', async (req, res) => {
      const actions = ctx.deps.runActions;
      if (!actions) throw new ValidationError('Runs cannot be started in this build.');
      res.json(await actions.searchTickets({ ...(typeof req.query.q === 'string' ? { q: req.query.q } : {}) }));
    }),
  );

  router.post(
    '/admin/runs/:runId/owner',
    page(ctx, 'jobs', async (req, res) => {
      const actions = ctx.deps.runActions;
      if (!actions) throw new ValidationError('Runs cannot be reassigned in this build.');
      const runId = String(req.params.runId);
      const email = typeof req.body?.email === 'string' ? req.body.email : '';
      const done = await actions.reassign(runId, { email }, adminState(res).session.id);
      redirectWithNotice(res, `/admin/runs/${encodeURIComponent(runId)}`, noticeQuery('run-reassigned', done.run.owner ?? email));
    }),
  );

  // List pages listen here and refetch their list when a run changes (any replica's write, through the change feed).
  router.get('/admin/events/runs', (req: Request, res: Response) => {
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.write('retry: 3000\n\n');
    let pending: NodeJS.Timeout | undefined;
    const changed = new Set<string>();
    const flush = () => {
      pending = undefined;
      res.write(`event: runs\ndata: ${JSON.stringify({ runIds: [...changed] })}\n\n`);
      changed.clear();
    };
    const unsubscribe = ctx.deps.runChanges?.subscribeAll?.((runId) => {
      changed.add(runId);
      pending ??= setTimeout(flush, BATCH_MS);
    });
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    req.on('close', () => {
      clearInterval(heartbeat);
      if (pending) clearTimeout(pending);
      unsubscribe?.();
    });
  });

  return router;
}
