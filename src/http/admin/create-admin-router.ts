import { createScheduleRoutes } from './routes/schedule-routes.js';
import { join } from 'node:path';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { createWorkQueries } from '../../admin/work-queries.js';
import type { AdminDeps } from './admin-deps.js';
import { requireCsrf, requireSession } from './admin-session.js';
import { createCatalogReader } from './catalog-reader.js';
import { createRenderer } from './render.js';
import { createAuthRoutes, createLogoutRoute } from './routes/auth-routes.js';
import { createPanelRoutes } from './routes/panel-routes.js';
import { createPlatformRoutes } from './routes/platform-routes.js';
import { createProjectRoutes } from './routes/project-routes.js';
import { createRunActionRoutes } from './routes/run-action-routes.js';
import { createResumeTicketRoutes } from './routes/resume-ticket-routes.js';
import { createSandboxPanelRoutes } from './routes/sandbox-routes.js';
import { createRunEventsRoute } from './routes/run-events-route.js';
import { createRunListRoutes } from './routes/run-list-routes.js';
import { createRunReportRoutes } from './routes/run-report-routes.js';
import { createStaticRoute } from './routes/static-route.js';
import type { AdminContext } from './admin-context.js';

export interface AdminRouterOptions {
  /** Recompile templates on every request (editing views/); off in production and benches. */
  reloadTemplates?: boolean;
  /** The address the login throttle counts against. */
  clientKeyOf?: (req: Request) => string;
}

const isAdminPath = (path: string) => path === '/admin' || path.startsWith('/admin/');

/**
 * The `/admin` panels. Without ADMIN_ACCESS_CODE every admin path falls
 * through to the 404 handler, as if the panels did not exist.
 */
export function createAdminRouter(deps: AdminDeps, options: AdminRouterOptions = {}): Router {
  const viewsDir = join(deps.projectRoot, 'views');
  const ctx: AdminContext = {
    deps,
    renderer: createRenderer(viewsDir, { cache: !options.reloadTemplates, ...(deps.redaction ? { redaction: deps.redaction } : {}) }),
    catalog: createCatalogReader(deps.projectRoot, deps.clock),
    work: createWorkQueries({ store: deps.store, clock: deps.clock, latestCycle: deps.latestCycle }),
  };
  const router = Router();
  const enabled = Boolean(deps.config.adminAccessCode);
  router.use((req: Request, res: Response, next: NextFunction) => {
    if (!isAdminPath(req.path)) return next('router');
    if (!enabled) return next('router');
    // The site-wide no-referrer policy makes browsers send `Origin: null` on form posts, which
    // the CSRF check must refuse; same-origin keeps our Origin and still leaks nothing to other sites.
    res.setHeader('Referrer-Policy', 'same-origin');
    next();
  });
  router.use(createStaticRoute(join(viewsDir, 'static')));
  router.use(createAuthRoutes(ctx, options.clientKeyOf ?? ((req) => req.socket.remoteAddress ?? 'unknown')));
  router.use('/admin', requireSession(deps.auth, deps.config.production), requireCsrf);
  router.use(createLogoutRoute(ctx));
  router.use(createRunEventsRoute(ctx));
  router.use(createRunListRoutes(ctx));
  router.use(createRunReportRoutes(ctx));
  router.use(createPanelRoutes(ctx));
  router.use(createProjectRoutes(ctx));
  router.use(createPlatformRoutes(ctx));
  router.use(createRunActionRoutes(ctx));
  router.use(createScheduleRoutes(ctx));
  router.use(createResumeTicketRoutes(ctx));
  if (deps.sandbox) router.use(createSandboxPanelRoutes(ctx));
  return router;
}
