import { Router } from 'express';
import { addTicketSchema, pullNumberSchema, pullTextSchema } from '../../../admin/sandbox-control.js';
import { ValidationError } from '../../../errors/index.js';
import { field, page, redirectWithNotice, type AdminContext } from '../admin-context.js';
import { noticeQuery } from '../notices.js';

function parsed<T>(result: { success: true; data: T } | { success: false; error: { issues: { message: string }[] } }): T {
  if (!result.success) throw new ValidationError(result.error.issues[0]?.message ?? 'invalid input');
  return result.data;
}

/**
 * The Overview's sandbox card (sandbox mode only): add a ticket, comment on,
 * review or merge a demo PR. Each changes an emulator, which sends its
 * webhook; the orchestrator's reaction then shows on the panels.
 */
export function createSandboxPanelRoutes(ctx: AdminContext): Router {
  const router = Router();
  const control = () => {
    const sandbox = ctx.deps.sandbox;
    if (!sandbox) throw new ValidationError('This is not a sandbox: the things to try exist only in sandbox mode.');
    return sandbox;
  };
  router.post(
    '/admin/sandbox/tickets',
    page(ctx, 'overview', async (req, res) => {
      const input = parsed(addTicketSchema.safeParse({ title: field(req, 'title'), ...(field(req, 'description') ? { description: field(req, 'description') } : {}) }));
      const done = await control().addTicket(input);
      redirectWithNotice(res, '/admin', noticeQuery('sandbox-ticket', done.subject));
    }),
  );
  for (const action of ['comment', 'review', 'merge'] as const) {
    router.post(
      `/admin/sandbox/pulls/:number/${action}`,
      page(ctx, 'overview', async (req, res) => {
        const { number } = parsed(pullNumberSchema.safeParse(req.params));
        const sandbox = control();
        const done =
          action === 'merge'
            ? await sandbox.mergePull(number)
            : action === 'comment'
              ? await sandbox.commentOnPull(number, parsed(pullTextSchema.safeParse({ body: field(req, 'body') })).body)
              : await sandbox.reviewPull(number, parsed(pullTextSchema.safeParse({ body: field(req, 'body') })).body);
        redirectWithNotice(res, '/admin', noticeQuery(`sandbox-${action}`, done.subject));
      }),
    );
  }
  return router;
}
