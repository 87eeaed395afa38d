import { Router, type Request } from 'express';
import { ValidationError } from '../../../errors/index.js';
import { field, page, panelContext, redirectWithNotice, sendPage, type AdminContext } from '../admin-context.js';
import { adminState } from '../admin-session.js';
import { noticeQuery } from '../notices.js';
import { buildSchedules } from '../view-models/schedules-view.js';

const SCHEDULE_ID = /^[A-Za-z0-9_-]{1,100}$/;

/** The create form's fields as the `/api/schedules` body, so both doors validate alike. */
function scheduleInput(req: Request): Record<string, unknown> {
  const kind = field(req, 'kind');
  const timeZone = field(req, 'timeZone');
  const zone = timeZone ? { timeZone } : {};
  // One text field ("mon, thu"): form bodies keep one value per name.
  const days = field(req, 'days')
    .toLowerCase()
    .split(/[\s,]+/)
    .filter(Boolean);
  const cadence =
    kind === 'weekly'
      ? { kind, days, at: field(req, 'at'), ...zone }
      : kind === 'interval'
        ? { kind, everyMinutes: Number(field(req, 'everyMinutes')) }
        : kind === 'once'
          ? { kind, at: field(req, 'at') }
          : { kind, at: field(req, 'at'), ...zone };
  return { name: field(req, 'name'), mapping: field(req, 'mapping'), cadence, instructions: field(req, 'instructions'), runAs: field(req, 'runAs') };
}

/** The Schedules panel: list, create, enable/disable, fire now and delete, through the `/api/schedules` commands. */
export function createScheduleRoutes(ctx: AdminContext): Router {
  const router = Router();
  const actorOf = (res: Parameters<typeof adminState>[0]) => adminState(res).session.id;
  const commands = () => {
    const found = ctx.deps.schedules;
    if (!found) throw new ValidationError('Schedules are not available in this build.');
    return found;
  };
  const idOf = (req: Request) => {
    const id = String(req.params.id);
    if (!SCHEDULE_ID.test(id)) throw new ValidationError(`"${id.slice(0, 40)}" is not a schedule id.`);
    return id;
  };

  router.get('/admin/schedules', page(ctx, 'schedules', async (req, res) => sendPage(ctx, req, res, 'schedules', 'panels/schedules', await buildSchedules(panelContext(ctx, req)))));

  router.post(
    '/admin/schedules',
    page(ctx, 'schedules', async (req, res) => {
      const created = await commands().create(scheduleInput(req), actorOf(res));
      redirectWithNotice(res, '/admin/schedules', noticeQuery('schedule-created', created.name));
    }),
  );

  for (const [action, enabled] of [['enable', true], ['disable', false]] as const) {
    router.post(
      `/admin/schedules/:id/${action}`,
      page(ctx, 'schedules', async (req, res) => {
        const updated = await commands().update(idOf(req), { enabled }, actorOf(res));
        redirectWithNotice(res, '/admin/schedules', noticeQuery(enabled ? 'schedule-enabled' : 'schedule-disabled', updated.name));
      }),
    );
  }

  router.post(
    '/admin/schedules/:id/run',
    page(ctx, 'schedules', async (req, res) => {
      const fired = await commands().fireNow(idOf(req), actorOf(res));
      redirectWithNotice(res, '/admin/schedules', noticeQuery('schedule-fired', fired.schedule.name));
    }),
  );

  router.post(
    '/admin/schedules/:id/delete',
    page(ctx, 'schedules', async (req, res) => {
      const deleted = await commands().delete(idOf(req), actorOf(res));
      redirectWithNotice(res, '/admin/schedules', noticeQuery('schedule-deleted', deleted.name));
    }),
  );

  return router;
}
