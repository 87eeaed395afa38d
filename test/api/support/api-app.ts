import { Router } from 'express';
import { z } from 'zod';
import { AdminAuth } from '../../../src/admin/auth/admin-auth.js';
import { LoginThrottle } from '../../../src/admin/auth/login-throttle.js';
import { SecretRegistry } from '../../../src/config/index.js';
import type { RunnerMode } from '../../../src/config/index.js';
import type { ApiRouteModule } from '../../../src/http/api/api-operation.js';
import { createAdminApi } from '../../../src/http/api/create-admin-api.js';
import { createHttpApp } from '../../../src/http/create-http-app.js';
import { HttpMetrics } from '../../../src/http/http-metrics.js';
import { startHttpServer } from '../../../src/http/start-http-server.js';
import type { IntakeCycleResult } from '../../../src/orchestrator/intake-cycle.js';
import { createMemoryStore } from '../../../src/store/memory/create-memory-store.js';
import type { Store } from '../../../src/store/store.js';
import { createTestLogger } from '../../support/test-logger.js';
import { apiClient, type ApiClient } from './api-client.js';

export const ACCESS_CODE = 'correct-horse-battery-staple';

export interface ApiAppOptions {
  accessCode?: string | undefined;
  trustedProxyHeader?: string;
  runnerModeOverride?: RunnerMode;
  fly?: { sessionsApp?: string; sessionsRegion?: string };
  modules?: ApiRouteModule[];
  latestCycle?: () => IntakeCycleResult | undefined;
  store?: Store;
}

export interface ApiApp {
  url: string;
  api: ApiClient;
  store: Store;
  lines: string[];
  advance: (ms: number) => void;
  now: () => number;
  stop: () => Promise<void>;
}

/**
 * The operator API on a real HTTP server: the app's own express stack, a real
 * AdminAuth and a memory store, with a movable clock and the log lines kept.
 * For what needs no trackers (auth, throttling, logs); end-to-end behaviour
 * uses the orchestrator harness instead.
 */
export async function startApiApp(options: ApiAppOptions = { accessCode: ACCESS_CODE }): Promise<ApiApp> {
  let offset = 0;
  const clock = () => Date.now() + offset;
  const secrets = new SecretRegistry();
  // Registered as the config loader would: the test then proves the code is absent even before redaction matters.
  const { log, lines } = createTestLogger(secrets, 'debug');
  const store = options.store ?? createMemoryStore({ clock });
  if (!store.isOpen) await store.open();
  const auth = options.accessCode
    ? new AdminAuth({ accessCode: options.accessCode, sessions: store.adminSessions, clock, log: log.child({ component: 'admin-auth' }), throttle: new LoginThrottle({ clock }) })
    : undefined;
  const adminApi = createAdminApi({
    auth,
    store,
    clock,
    version: '0.0.0-test',
    trustedProxyHeader: options.trustedProxyHeader,
    runnerModeOverride: options.runnerModeOverride,
    fly: { sessionsApp: options.fly?.sessionsApp, sessionsRegion: options.fly?.sessionsRegion },
    jira: undefined,
    latestCycle: options.latestCycle ?? (() => undefined),
    modules: options.modules ?? [],
  });
  const app = createHttpApp({ log, metrics: new HttpMetrics({ defaultMetrics: false }), production: true, version: '0.0.0-test', isReady: () => true, routers: [adminApi.router] });
  const server = await startHttpServer(app, { port: 0, host: '127.0.0.1' });
  return {
    url: server.url,
    api: apiClient(server.url),
    store,
    lines,
    advance: (ms) => {
      offset += ms;
    },
    now: clock,
    stop: async () => {
      await server.close();
      await store.close();
    },
  };
}

/** A stand-in for another engineer's route module: a real router with a zod schema, to prove extra modules sit behind the guard. */
export function createEchoModule(): ApiRouteModule {
  const router = Router();
  const body = z.object({ word: z.string() }).strict();
  router.post('/api/echo', (req, res) => {
    const parsed = body.safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json({ error: 'invalid_request', message: 'word is required', field: 'word' });
      return;
    }
    res.json({ echoed: parsed.data.word });
  });
  return { router, operations: [{ method: 'post', path: '/api/echo', summary: 'Echo a word', body, statuses: { 200: 'echoed', 400: 'no word', 401: 'no token' } }] };
}
