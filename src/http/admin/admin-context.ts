import type { NextFunction, Request, Response } from 'express';
import type { WorkQueries } from '../../admin/work-queries.js';
import { toAnswer } from '../error-handler.js';
import type { AdminDeps } from './admin-deps.js';
import { adminState } from './admin-session.js';
import type { CatalogReader } from './catalog-reader.js';
import { panelLabel, type PanelId } from './nav.js';
import { noticeText } from './notices.js';
import type { Renderer } from './render.js';
import type { PanelContext } from './view-models/panel-context.js';

/** What every admin route module is built from. */
export interface AdminContext {
  deps: AdminDeps;
  renderer: Renderer;
  catalog: CatalogReader;
  /** The Work data, read by the same queries as `GET /api/issues|pulls|blockers`. */
  work: WorkQueries;
}

export function panelContext(ctx: AdminContext, req: Request): PanelContext {
  const query: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(req.query)) if (typeof value === 'string') query[key] = value;
  return { deps: ctx.deps, now: ctx.deps.clock(), query };
}

export interface SendOptions {
  title?: string;
  status?: number;
  error?: string;
  scripts?: string[];
}

/** Renders a signed-in page: the panel template inside the layout with the sidebar. */
export function sendPage(ctx: AdminContext, req: Request, res: Response, active: PanelId, template: string, vm: object, options: SendOptions = {}): void {
  const notice = noticeText(req.query.notice, req.query.subject);
  const html = ctx.renderer.page(template, vm, {
    active,
    title: options.title ?? panelLabel(active),
    csrfToken: adminState(res).csrfToken,
    sandbox: ctx.deps.config.sandbox,
    ...(notice ? { notice } : {}),
    ...(options.error ? { error: options.error } : {}),
    ...(options.scripts ? { scripts: options.scripts } : {}),
  });
  res.status(options.status ?? 200).type('html').send(html);
}

type Handler = (req: Request, res: Response) => Promise<void> | void;

/**
 * Wraps a page handler: a refused request (4xx from a service) is shown as a
 * page with the reason instead of the API's JSON; a 5xx still goes to the
 * shared error handler, which logs it and hides the details.
 */
export function page(ctx: AdminContext, active: PanelId, handler: Handler) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      await handler(req, res);
    } catch (error) {
      const answer = toAnswer(error);
      if (!answer || answer.status >= 500 || res.headersSent) return next(error);
      const message = typeof answer.body.message === 'string' ? answer.body.message : 'The request was refused.';
      sendPage(ctx, req, res, active, 'panels/error', { status: answer.status, message, back: req.get('referer') ?? '/admin' }, { status: answer.status, title: 'Refused', error: message });
    }
  };
}

/** Redirect after a successful POST (PRG), so reload does not repeat the action. */
export function redirectWithNotice(res: Response, path: string, query: string): void {
  res.redirect(303, `${path}${path.includes('?') ? '&' : '?'}${query}`);
}

export function field(req: Request, name: string): string {
  const value = ((req.body ?? {}) as Record<string, unknown>)[name];
  return typeof value === 'string' ? value.trim() : '';
}
