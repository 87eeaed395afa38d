import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { NextFunction, Request, Response } from 'express';

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
        // The matched route pattern keeps label cardinality bounded; unmatched paths share one label.
        const route = (req.route as { path?: string } | undefined)?.path;
        const label = route ? `${req.baseUrl}${route}` : res.statusCode === 404 ? 'unmatched' : req.baseUrl || req.path.split('/').slice(0, 2).join('/');
        this.observe(req.method, label, res.statusCode, started);
      });
      next();
    };
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
