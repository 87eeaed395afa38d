import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { toAnswer } from './error-handler.js';
import type { HttpMetrics } from './http-metrics.js';
import type { RequestLoad } from './request-load.js';
import { baseSecurityHeaders } from './security-headers.js';

export interface DirectAnswer {
  status: number;
  body: Record<string, unknown>;
}

/**
 * A route answered on the node:http listener itself, ahead of express: for a
 * hot machine-to-machine endpoint whose whole job is verify → record →
 * acknowledge, where express's per-request setup would be most of the cost.
 * It returns its answer (or throws an HttpError/domain error) and reads the
 * body itself, capped.
 */
export interface DirectRoute {
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  handle(req: IncomingMessage): Promise<DirectAnswer>;
}

export interface DirectRoutesDeps {
  log: Logger;
  metrics: HttpMetrics;
  production: boolean;
  load?: RequestLoad | undefined;
}

/** The path of a request URL as express matches it: no query, case-insensitive, one trailing slash ignored. */
function routeKey(method: string | undefined, url: string | undefined): string {
  const raw = url ?? '/';
  const query = raw.indexOf('?');
  let path = query === -1 ? raw : raw.slice(0, query);
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return `${method ?? ''} ${path.toLowerCase()}`;
}

/**
 * A request listener that answers the direct routes and hands everything else
 * to `fallback` (the express app). Direct answers carry the same security
 * headers, metrics and load tracking as express's, and errors map to the same
 * JSON answers.
 */
export function withDirectRoutes(fallback: RequestListener, routes: readonly DirectRoute[], deps: DirectRoutesDeps): RequestListener {
  if (routes.length === 0) return fallback;
  const byKey = new Map(routes.map((route) => [routeKey(route.method, route.path), route]));
  const security = baseSecurityHeaders({ production: deps.production });
  const log = deps.log.child({ component: 'http' });

  const send = (res: ServerResponse, answer: DirectAnswer, headers: Record<string, string> = {}) => {
    if (res.headersSent || res.destroyed) return;
    const text = JSON.stringify(answer.body);
    res.writeHead(answer.status, { ...security, ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  };

  const respond = async (route: DirectRoute, req: IncomingMessage, res: ServerResponse) => {
    try {
      send(res, await route.handle(req));
    } catch (error) {
      const refused = toAnswer(error);
      if (refused) log.debug({ status: refused.status, method: req.method, path: route.path, reason: refused.body.error }, 'request refused');
      else log.error({ err: error, method: req.method, path: route.path }, 'request failed');
      send(
        res,
        refused ?? { status: 500, body: { error: 'internal_error', message: 'The server failed to handle this request; the details are in its log.' } },
        refused?.headers,
      );
    }
  };

  return (req, res) => {
    const route = byKey.get(routeKey(req.method, req.url));
    if (!route) {
      fallback(req, res);
      return;
    }
    const started = process.hrtime.bigint();
    deps.load?.track(res);
    res.once('finish', () => deps.metrics.observe(route.method, route.path, res.statusCode, started));
    void respond(route, req, res);
  };
}
