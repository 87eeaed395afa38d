import { Router } from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpApp } from '../../src/http/create-http-app.js';
import { HttpMetrics } from '../../src/http/http-metrics.js';
import { capForPath } from '../../src/http/route-caps.js';
import { startHttpServer, type StartedServer } from '../../src/http/start-http-server.js';
import { createTestLogger } from '../support/test-logger.js';

const servers: StartedServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** The app's own stack with stand-ins at the capped paths, answering how many bytes they got. */
async function start(paths: string[]) {
  const router = Router();
  for (const path of paths) router.post(path, (req, res) => res.json({ route: path, bytes: req.rawBody?.length ?? 0 }));
  const { log } = createTestLogger();
  const app = createHttpApp({ log, metrics: new HttpMetrics({ defaultMetrics: false }), production: true, version: 'test', isReady: () => true, routers: [router] });
  const started = await startHttpServer(app, { port: 0, host: '127.0.0.1' });
  servers.push(started);
  return started.url;
}

/**
 * Express matches routes case-insensitively and ignores a trailing slash, so
 * a cap looked up on the raw path could be dodged by writing the path another
 * way (64 KiB → the 1 MiB default on /runner/progress).
 */
describe('body caps apply to every spelling the router matches', () => {
  it.each([
    ['/runner/progress', '/RUNNER/PROGRESS', 64 * 1024],
    ['/runner/progress', '/runner/progress/', 64 * 1024],
    ['/runner/progress', '/Runner/Progress/', 64 * 1024],
    ['/api/auth', '/API/Auth/', 16 * 1024],
    ['/trigger/gap-fill', '/TRIGGER/gap-fill/', 16 * 1024],
    ['/runner/token', '/runner/TOKEN/', 16 * 1024],
  ])('%s written %s: routed there, and capped at %i bytes', async (route, spelled, cap) => {
    const url = await start([route]);
    const small = await fetch(`${url}${spelled}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    // The router does match this spelling: the cap is all that stands between it and a larger body.
    expect(await small.json()).toEqual({ route, bytes: 1 });
    const over = await fetch(`${url}${spelled}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: Buffer.alloc(cap + 1, 0x20) });
    expect(over.status).toBe(413);
    expect(await over.json()).toMatchObject({ error: 'payload_too_large' });
  });

  it('looks caps up on the path as the router matches it', () => {
    expect(capForPath('/RUNNER/PROGRESS/')).toBe(capForPath('/runner/progress'));
    expect(capForPath('/Trigger/anything')).toBe(capForPath('/trigger/gap-fill'));
    expect(capForPath('/')).toBe(capForPath('/nowhere'));
  });
});
