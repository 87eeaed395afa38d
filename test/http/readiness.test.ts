import { afterEach, describe, expect, it } from 'vitest';
import { AdminAuth } from '../../src/admin/auth/admin-auth.js';
import { InboxWorker } from '../../src/orchestrator/inbox-worker.js';
import { createAdminApi } from '../../src/http/api/create-admin-api.js';
import { createHttpApp } from '../../src/http/create-http-app.js';
import { createGitHubWebhookRoute } from '../../src/http/github-webhook-route.js';
import { HttpMetrics } from '../../src/http/http-metrics.js';
import { startHttpServer, type StartedServer } from '../../src/http/start-http-server.js';
import { signHmacSha256 } from '../../src/http/verify-hmac.js';
import { createMemoryStore } from '../../src/store/memory/create-memory-store.js';
import { createTestLogger } from '../support/test-logger.js';

const ACCESS_CODE = 'readiness-test-access-code';
const SECRET = 'readiness-webhook-secret';

/** While the store opens (seconds with a large history) the process lives, and everything else says "come back". */
describe('before the store is open', () => {
  let server: StartedServer | undefined;
  afterEach(async () => server?.close());

  it('answers 503 with Retry-After on /api, /admin and the webhook route, never 500, then serves once open', async () => {
    const store = createMemoryStore({ clock: Date.now });
    const { log } = createTestLogger();
    const auth = new AdminAuth({ accessCode: ACCESS_CODE, sessions: store.adminSessions, clock: Date.now, log });
    const api = createAdminApi({ auth, store, clock: Date.now, version: 't', trustedProxyHeader: undefined, runnerModeOverride: undefined, fly: { sessionsApp: undefined, sessionsRegion: undefined }, jira: undefined, latestCycle: () => undefined });
    const inbox = new InboxWorker({ store, handlers: {}, log, clock: Date.now });
    const app = createHttpApp({
      log,
      metrics: new HttpMetrics({ defaultMetrics: false }),
      production: true,
      version: 't',
      isReady: () => store.isOpen,
      routers: [api.router],
      direct: [createGitHubWebhookRoute({ secret: SECRET, now: Date.now, accept: inbox.accept })],
    });
    server = await startHttpServer(app, { port: 0, host: '127.0.0.1' });
    const body = JSON.stringify({ action: 'created' });
    const calls = () => [
      fetch(`${server!.url}/api/auth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: ACCESS_CODE }) }),
      fetch(`${server!.url}/api/mappings`),
      fetch(`${server!.url}/admin/login`),
      fetch(`${server!.url}/api/github/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-github-event': 'ping', 'x-github-delivery': 'd-1', 'x-hub-signature-256': signHmacSha256(SECRET, body, 'sha256=') }, body }),
    ];
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
    for (const res of await Promise.all(calls())) {
      expect(res.status, res.url).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(((await res.json()) as { error: string }).error).toBe('starting');
    }
    await store.open();
    const [login, mappings, , hook] = await Promise.all(calls());
    expect(login!.status).toBe(200);
    expect(mappings!.status).toBe(401);
    expect(hook!.status).toBe(202);
  });
});
