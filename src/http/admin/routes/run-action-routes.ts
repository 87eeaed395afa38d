import { Router } from 'express';
import { RUN_ACTIONS } from '../../../domain/run-actions.js';
import { ValidationError } from '../../../errors/index.js';
import { page, redirectWithNotice, type AdminContext } from '../admin-context.js';
import { adminState } from '../admin-session.js';
import { noticeQuery } from '../notices.js';

/** The run page's Stop, Retry and Delete buttons: the same commands as `/api/runs/:id/…`. */
export function createRunActionRoutes(ctx: AdminContext): Router {
  const router = Router();
  // The Pipelines panel's New run form: the same command as POST /api/runs.
  router.post(
    '/admin/runs/new',
    page(ctx, 'jobs', async (req, res) => {
      const actions = ctx.deps.runActions;
      if (!actions) throw new ValidationError('Runs cannot be started in this build.');
      const body = (req.body ?? {}) as Record<string, unknown>;
      const text = (name: string) => (typeof body[name] === 'string' ? (body[name] as string).trim() : '');
      const input = { ticket: text('ticket'), ...(text('mapping') ? { mapping: text('mapping') } : {}), ...(text('phase') ? { phase: text('phase') } : {}), ...(text('owner') ? { owner: text('owner') } : {}) };
      const started = await actions.start(input, adminState(res).session.id);
      redirectWithNotice(res, `/admin/runs/${encodeURIComponent(started.run.id)}`, noticeQuery('run-started', started.run.identifier));
    }),
  );
  for (const action of RUN_ACTIONS) {
    router.post(
      `/admin/runs/:runId/${action}`,
      page(ctx, 'jobs', async (req, res) => {
        const actions = ctx.deps.runActions;
        if (!actions) throw new ValidationError('Runs cannot be stopped, retried or deleted in this build.');
        const runId = String(req.params.runId);
        const actor = adminState(res).session.id;
        const runPage = (id: string) => `/admin/runs/${encodeURIComponent(id)}`;
        switch (action) {
          case 'stop':
            await actions.stop(runId, actor);
            return redirectWithNotice(res, runPage(runId), noticeQuery('run-stopped'));
          case 'restart':
            await actions.restart(runId, actor);
            return redirectWithNotice(res, runPage(runId), noticeQuery('run-restarted'));
          case 'retry': {
            const retried = await actions.retry(runId, actor);
            return redirectWithNotice(res, runPage(retried.run.id), noticeQuery('run-retried', runId));
          }
          case 'delete': {
            const deleted = await actions.delete(runId, actor);
            return redirectWithNotice(res, '/admin/jobs', noticeQuery('run-deleted', `${deleted.runId} (${deleted.identifier})`));
          }
        }
      }),
    );
  }
  return router;
}
