import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { Router } from 'express';

const TYPES: Record<string, string> = { '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.svg': 'image/svg+xml' };

/**
 * The panels' stylesheet and scripts. The CSP allows only same-origin files
 * (no inline code), so these are real files; read once at startup, so a
 * request can never name a path outside the folder.
 */
export function createStaticRoute(staticDir: string): Router {
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const name of readdirSync(staticDir)) {
    const type = TYPES[extname(name)];
    if (type) files.set(name, { body: readFileSync(join(staticDir, name)), type });
  }
  const router = Router();
  router.get('/admin/static/:file', (req, res, next) => {
    const file = files.get(String(req.params.file));
    if (!file) return next();
    res.setHeader('Content-Type', file.type);
    res.send(file.body);
  });
  return router;
}
