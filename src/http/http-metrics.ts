import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { NextFunction, Request, Response } from 'express';

/**
 * The first path segments this app serves. A request answered before any
 * route matched (a 400 from the body parser, a 401 from a guard, a 413) is
 * counted under its prefix's bucket; every other path shares `unmatched`.
 */
export const KNOWN_ROUTE_PREFIXES = ['/api', '/admin', '/runner', '/webhooks', '/trigger'] as const;

/**
 * The `route` label: the matched route's template, else a fixed bucket. Never
 * text from the request path — the routes answer anyone, so a label built from
 * the path would let anyone grow the registry (and /metrics) without bound.
 */
export function metricRouteOf(matchedTemplate: string | undefined, path: string, status: number): string {
  if (matchedTemplate) return matchedTemplate;
  if (status === 404) return 'unmatched';
  const first = `/${(path.split('/')[1] ?? '').toLowerCase()}`;
  return (KNOWN_ROUTE_PREFIXES as readonly string[]).includes(first) ? `${first}/*` : 'unmatched';
}

/**
 * One Prometheus registry per app instance (no global default registry, so
 * two servers in one test process do not share counters). Domain gauges are
 * added by the services that own the numbers.
 */
export class HttpMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly latency: Histogram<'method' | 'route'>;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'ai_implement_' });
    this.requests = new Counter({
      name: 'ai_implement_http_requests_total',
      help: 'HTTP requests answered, by method, route and status',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.latency = new Histogram({
      name: 'ai_implement_http_request_duration_seconds',
      help: 'HTTP request latency in seconds, by method and route',
      labelNames: ['method', 'route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
  }

  /** Counts one answered request; `started` is `process.hrtime.bigint()` when it arrived. */
  observe(method: string, route: string, status: number, started: bigint): void {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.requests.inc({ method, route, status: String(status) });
    this.latency.observe({ method, route }, seconds);
  }

  middleware() {
    return (req: Request, res: Response, next: NextFunction): void => {
      const started = process.hrtime.bigint();
      res.once('finish', () => {
        const route = (req.route as { path?: unknown } | undefined)?.path;
        this.observe(req.method, metricRouteOf(typeof route === 'string' ? `${req.baseUrl}${route}` : undefined, req.path, res.statusCode), res.statusCode, started);
      });
      next();
    };
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
