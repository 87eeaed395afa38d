import { Router } from 'express';
import type { HttpMetrics } from './http-metrics.js';

export interface HealthDeps {
  /** True once the store is open; `/readyz` answers 503 until then. */
  isReady: () => boolean;
  metrics: HttpMetrics;
  version: string;
}

export function createHealthRoutes(deps: HealthDeps): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', version: deps.version, uptimeSeconds: Math.round(process.uptime()) });
  });
  router.get('/readyz', (_req, res) => {
    if (deps.isReady()) res.json({ status: 'ready' });
    else res.status(503).json({ error: 'not_ready', message: 'The store is not open yet' });
  });
  router.get('/metrics', async (_req, res) => {
    const { contentType, body } = await deps.metrics.render();
    res.setHeader('Content-Type', contentType);
    res.send(body);
  });
  return router;
}
