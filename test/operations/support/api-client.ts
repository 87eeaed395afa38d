import { createServer, type Server } from 'node:http';
import { AdminAuth } from '../../../src/admin/auth/admin-auth.js';
import { parseMapping } from '../../../src/domain/mapping-schema.js';
import type { Mapping } from '../../../src/domain/mapping.js';
import type { ApiRouteModule } from '../../../src/http/api/api-operation.js';
import { createAdminApi } from '../../../src/http/api/create-admin-api.js';
import { createHttpApp } from '../../../src/http/create-http-app.js';
import { HttpMetrics } from '../../../src/http/http-metrics.js';
import type { Store } from '../../../src/store/store.js';
import { createTestLogger } from '../../support/test-logger.js';

const ACCESS_CODE = 'operations-test-access-code';

export interface ApiAnswer {
  status: number;
  body: Record<string, unknown>;
}

export interface ApiClient {
  call: (method: string, path: string, body?: unknown) => Promise<ApiAnswer>;
  close: () => Promise<void>;
}

/**
 * The operations modules mounted the way production mounts them: behind the
 * real `/api` guard with a real access-code login, in the real express app.
 */
export async function startApi(store: Store, modules: ApiRouteModule[], clock: () => number = Date.now): Promise<ApiClient> {
  const { log } = createTestLogger(undefined, 'silent');
  const auth = new AdminAuth({ accessCode: ACCESS_CODE, sessions: store.adminSessions, clock, log });
  const api = createAdminApi({
    auth,
    store,
    clock,
    version: 'test',
    trustedProxyHeader: undefined,
    runnerModeOverride: undefined,
    fly: { sessionsApp: undefined, sessionsRegion: undefined },
    jira: undefined,
    latestCycle: () => undefined,
    modules,
  });
  const app = createHttpApp({ log, metrics: new HttpMetrics(), production: false, version: 'test', isReady: () => true, routers: [api.router] });
  const server: Server = await new Promise((resolve) => {
    const s = createServer(app).listen(0, '127.0.0.1', () => resolve(s));
  });
  const address = server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const send = async (method: string, path: string, body: unknown, token?: string): Promise<ApiAnswer> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  const login = await send('POST', '/api/auth', { code: ACCESS_CODE });
  const token = String(login.body.token);
  return {
    call: (method, path, body) => send(method, path, body, token),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export function mappingOf(input: Record<string, unknown>): Mapping {
  const parsed = parseMapping(input, new Date().toISOString());
  if (!parsed.ok) throw new Error(`bad test mapping: ${JSON.stringify(parsed.problems)}`);
  return parsed.mapping;
}
