import { Router } from 'express';
import { z } from 'zod';
import type { AdminAuth } from '../../admin/auth/admin-auth.js';
import type { Redaction, RunnerMode } from '../../config/index.js';
import type { IntakeCycleResult } from '../../orchestrator/intake-cycle.js';
import type { Store } from '../../store/store.js';
import type { JiraAdmin } from '../../trackers/jira/index.js';
import { notFoundHandler } from '../error-handler.js';
import { API_PATHS_OUTSIDE_GUARD, createApiGuard } from './api-guard.js';
import type { ApiOperation, ApiRouteModule } from './api-operation.js';
import { createAdminCommands, type AdminCommands } from '../../admin/admin-commands.js';
import { createWorkQueries } from '../../admin/work-queries.js';
import { createAuthRoutes } from './auth-routes.js';
import { buildOpenApiDocument } from './build-openapi-document.js';
import { createDedupRoutes } from './dedup-routes.js';
import { createJiraRoutes } from './jira-routes.js';
import { createLogRoutes } from './log-routes.js';
import { createRunListRoutes } from './run-list-routes.js';
import { createMappingsRoutes } from './mappings-routes.js';
import { createRuntimeSettingsRoutes } from './runtime-settings-routes.js';
import { createWorkRoutes } from './work-routes.js';

export interface AdminApiDeps {
  /** Unset when ADMIN_ACCESS_CODE is unset: `/api/*` (but webhooks) and `/admin` answer 404. */
  auth: AdminAuth | undefined;
  store: Store;
  clock: () => number;
  version: string;
  trustedProxyHeader: string | undefined;
  runnerModeOverride: RunnerMode | undefined;
  fly: { sessionsApp: string | undefined; sessionsRegion: string | undefined };
  /** Unset when Jira is not configured: the Jira routes answer 503. */
  jira: JiraAdmin | undefined;
  latestCycle: () => IntakeCycleResult | undefined;
  /** More `/api/*` modules from the composition root (sessions, reaper, secrets, operations), mounted behind the same guard. */
  modules?: readonly ApiRouteModule[];
  /** Scrubs every `/api` answer (errors too) of the secrets the process knows and of credential shapes. */
  redaction?: Redaction;
  /** RUNNER_IMAGE_ALLOWLIST: a project's own runner image must be on it. */
  runnerImageAllowlist?: readonly string[];
}

/**
 * The operator API: one guard in front of every `/api/*` module (this
 * package's and those passed in), `GET /api/openapi.json` generated from all
 * their operations, and a JSON 404 for any other `/api/*` path so nothing
 * mounted later can answer under `/api` without the guard.
 */
export function createAdminApi(deps: AdminApiDeps): ApiRouteModule & { commands: AdminCommands } {
  const { store, clock } = deps;
  const env = { runnerModeOverride: deps.runnerModeOverride, flySessionsApp: deps.fly.sessionsApp, flySessionsRegion: deps.fly.sessionsRegion };
  // The panels share these commands, so both doors validate, store and audit alike.
  const commands = createAdminCommands({ store, clock, env, ...(deps.runnerImageAllowlist ? { runnerImageAllowlist: deps.runnerImageAllowlist } : {}) });
  const modules: ApiRouteModule[] = [
    createAuthRoutes({ auth: deps.auth, audit: store.audit, clock, trustedProxyHeader: deps.trustedProxyHeader }),
    createMappingsRoutes({ store, commands }),
    createJiraRoutes({ jira: deps.jira }),
    createLogRoutes({ store }),
    createRunListRoutes({ store }),
    createWorkRoutes({ work: createWorkQueries({ store, clock, latestCycle: deps.latestCycle }) }),
    createDedupRoutes({ store, commands }),
    createRuntimeSettingsRoutes({ store, env, commands }),
    ...(deps.modules ?? []),
  ];
  const openApiOperation: ApiOperation = {
    method: 'get',
    path: '/api/openapi.json',
    summary: 'This document: OpenAPI 3.1 generated from every route module',
    response: z.record(z.string(), z.unknown()),
    statuses: { 200: 'the document', 401: 'missing or invalid token' },
  };
  const operations = [...modules.flatMap((m) => m.operations), openApiOperation];
  let document: Record<string, unknown> | undefined;

  const router = Router();
  const redaction = deps.redaction;
  if (redaction) {
    // One place for every answer: the ledger may predate a secret the process learned since (set later, or before a restart).
    router.use('/api', (_req, res, next) => {
      const send = res.json.bind(res);
      res.json = (body: unknown) => send(redaction.redactValue(body));
      next();
    });
  }
  router.use(createApiGuard({ auth: deps.auth, operations }));
  for (const module of modules) router.use(module.router);
  router.get('/api/openapi.json', (_req, res) => {
    // Built on first request: the operations never change after boot.
    document ??= buildOpenApiDocument(operations, { title: 'AI-Implement operator API', version: deps.version });
    res.json(document);
  });
  // Mounted without a path so req.path stays whole and the 404 reads exactly like the app's own.
  router.use((req, res, next) => {
    const path = req.path.toLowerCase();
    const isApi = path === '/api' || path.startsWith('/api/');
    if (!isApi || (API_PATHS_OUTSIDE_GUARD as readonly string[]).includes(path)) return next();
    notFoundHandler(req, res);
  });
  return { router, operations, commands };
}
