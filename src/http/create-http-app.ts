import type { RequestListener } from 'node:http';
import express, { type Router } from 'express';
import type { Logger } from 'pino';
import { createBodyParser } from './body-parser.js';
import { withDirectRoutes, type DirectRoute } from './direct-routes.js';
import { createErrorHandler, notFoundHandler } from './error-handler.js';
import { StoreNotOpenError } from '../store/store.js';
import { createHealthRoutes } from './health-routes.js';
import type { HttpMetrics } from './http-metrics.js';
import type { RequestLoad } from './request-load.js';
import { securityHeaders } from './security-headers.js';

export interface HttpAppDeps {
  log: Logger;
  metrics: HttpMetrics;
  production: boolean;
  version: string;
  isReady: () => boolean;
  /** Feature routers in mounting order (webhooks, runner callbacks, /api, /admin). */
  routers: Router[];
  /** Routes answered ahead of express (the GitHub webhook acknowledgement). */
  direct?: DirectRoute[];
  /** Counts requests in flight for background work that yields to them. */
  load?: RequestLoad;
  /** Where large request bodies spill while streaming; the OS temp dir when unset. */
  spoolDir?: string;
}

/**
 * The request listener: direct routes first, then the express app — security
 * headers → metrics → capped body parsing → health → feature routers → JSON
 * 404 → JSON errors (never a stack trace).
 */
export function createHttpApp(deps: HttpAppDeps): RequestListener {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', 'simple');
  app.use(securityHeaders({ production: deps.production }));
  app.use(deps.metrics.middleware());
  if (deps.load) app.use(deps.load.middleware());
  app.use(createBodyParser(deps.spoolDir ? { spoolDir: deps.spoolDir } : {}));
  app.use(createHealthRoutes({ isReady: deps.isReady, metrics: deps.metrics, version: deps.version }));
  // Until the store is open every other route answers 503 with Retry-After (never a 500 from a store call).
  app.use((_req, _res, next) => next(deps.isReady() ? undefined : new StoreNotOpenError('store is not open')));
  for (const router of deps.routers) app.use(router);
  app.use(notFoundHandler);
  app.use(createErrorHandler(deps.log.child({ component: 'http' })));
  return withDirectRoutes(app, deps.direct ?? [], deps);
}
