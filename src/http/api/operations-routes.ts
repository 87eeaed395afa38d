import { Router } from 'express';
import { z } from 'zod';
import type { ConfigCheck } from '../../operations/config-status.js';
import type { Operations } from '../../operations/create-operations.js';
import type { Customization } from '../../operations/list-customizations.js';
import type { PipelinesAndSteps } from '../../operations/list-pipelines-and-steps.js';
import type { RepoTemplateStatus, WorkflowSync } from '../../operations/workflow-sync.js';
import type { Store } from '../../store/store.js';
import { HttpError } from '../http-error.js';
import { adminSessionOf } from './api-guard.js';
import type { ApiRouteModule } from './api-operation.js';
import { createReaperRoutes } from './reaper-routes.js';
import { createSecretsRoutes } from './secrets-routes.js';
import { createSessionsRoutes } from './sessions-routes.js';

export interface OperationsRoutesDeps {
  /** Unset without GitHub App credentials: sync and template status answer 503. */
  workflowSync: WorkflowSync | undefined;
  configStatus: () => Promise<ConfigCheck[]>;
  customizations: () => Promise<Customization[]>;
  pipelinesAndSteps: () => Promise<PipelinesAndSteps>;
}

const syncShape = z.object({ status: z.enum(['up-to-date', 'pr-opened', 'pr-updated']), changedFiles: z.array(z.string()), prUrl: z.string().optional() });
const fileStatus = z.enum(['current', 'stale', 'missing']);
const templateStatusShape = z.object({
  expectedVersion: z.number(),
  repos: z.array(
    z.object({
      teamKey: z.string(),
      repo: z.string(),
      defaultBranch: z.string(),
      status: z.union([fileStatus, z.literal('unknown')]),
      files: z.array(z.object({ path: z.string(), status: fileStatus, found: z.number().nullable(), expected: z.number() })),
      error: z.string().optional(),
    }),
  ),
});
const checkShape = z.object({ name: z.string(), ok: z.boolean(), detail: z.string(), fix: z.string().optional() });
const customizationShape = z.object({
  path: z.string(),
  category: z.enum(['pipeline', 'step', 'provider', 'other']),
  status: z.enum(['override', 'additive', '—']),
  shadows: z.string().optional(),
  size: z.number(),
  modifiedAt: z.string(),
});
const catalogStatus = z.enum(['built-in', 'override', 'additive']);
const pipelinesShape = z.object({
  pipelines: z.array(
    z.object({
      name: z.string(),
      status: catalogStatus,
      path: z.string(),
      builtInPath: z.string().optional(),
      customPath: z.string().optional(),
      error: z.string().optional(),
      steps: z.array(z.object({ id: z.string(), uses: z.string(), if: z.string().optional() })),
    }),
  ),
  steps: z.array(z.object({ id: z.string(), status: catalogStatus, builtInPath: z.string().optional(), customPath: z.string().optional() })),
});

function requireSync(sync: WorkflowSync | undefined): WorkflowSync {
  if (!sync) throw new HttpError(503, 'github_not_configured', 'The GitHub App is not configured: set APP_ID and PRIVATE_KEY to sync workflows into target repositories.');
  return sync;
}

function highestVersion(repos: RepoTemplateStatus[]): number {
  return Math.max(0, ...repos.flatMap((r) => r.files.map((f) => f.expected)));
}

/** Workflow sync, template and environment status, and the custom/ and pipeline catalogs. */
export function createOperationsRoutes(deps: OperationsRoutesDeps): ApiRouteModule {
  const router = Router();

  router.post('/api/mappings/:teamKey/sync-workflows', async (req, res) => {
    const sync = requireSync(deps.workflowSync);
    res.json(await sync.sync(String(req.params.teamKey), `admin-session:${adminSessionOf(res).id}`));
  });

  router.get('/api/admin/template-status', async (_req, res) => {
    const repos = await requireSync(deps.workflowSync).templateStatus();
    res.json({ expectedVersion: highestVersion(repos), repos });
  });

  router.get('/api/admin/config-status', async (_req, res) => {
    const checks = await deps.configStatus();
    res.json({ ok: checks.every((c) => c.ok), checks });
  });

  router.get('/api/customizations', async (_req, res) => {
    res.json({ files: await deps.customizations() });
  });

  router.get('/api/pipelines-steps', async (_req, res) => {
    res.json(await deps.pipelinesAndSteps());
  });

  return {
    router,
    operations: [
      {
        method: 'post',
        path: '/api/mappings/:teamKey/sync-workflows',
        summary: 'Open or update the sync/ai-implement pull request that brings the workflow templates into the target repository (WORKFLOW.md and PLANNING.md are only added when missing)',
        params: { teamKey: 'The mapping’s team key' },
        response: syncShape,
        statuses: {
          200: 'up-to-date, pr-opened or pr-updated',
          401: 'missing or invalid token',
          404: 'no such mapping',
          409: 'the GitHub App cannot reach the repository, its default branch is missing, or GitHub refused the change (e.g. no workflows permission)',
          503: 'GitHub App not configured, or GitHub did not answer',
        },
      },
      {
        method: 'get',
        path: '/api/admin/template-status',
        summary: 'Per mapped repository: the template version of each synced workflow on the default branch (current, stale or missing)',
        response: templateStatusShape,
        statuses: { 200: 'the status', 401: 'missing or invalid token', 503: 'GitHub App not configured' },
      },
      {
        method: 'get',
        path: '/api/admin/config-status',
        summary: 'Environment checks (ticketing, GitHub App and repositories, runner callback, gap-fill trigger, Fly), each with a fix when failing',
        response: z.object({ ok: z.boolean(), checks: z.array(checkShape) }),
        statuses: { 200: 'the checks (failing checks are data, not errors)', 401: 'missing or invalid token' },
      },
      {
        method: 'get',
        path: '/api/customizations',
        summary: 'Files under custom/: category, override or additive, the built-in each shadows, size and modification time',
        response: z.object({ files: z.array(customizationShape) }),
        statuses: { 200: 'the files', 401: 'missing or invalid token' },
      },
      {
        method: 'get',
        path: '/api/pipelines-steps',
        summary: 'Pipelines in effect with their steps and module ids, and every step module with its built-in and custom path',
        response: pipelinesShape,
        statuses: { 200: 'the catalog', 401: 'missing or invalid token' },
      },
    ],
  };
}

/** Every operations module, for the composition root to hand to the `/api` guard. */
export function createOperationsApiModules(operations: Operations, deps: { store: Store; clock: () => number }): ApiRouteModule[] {
  return [
    createSessionsRoutes({ sessions: operations.sessions }),
    createReaperRoutes({ store: deps.store, clock: deps.clock }),
    createSecretsRoutes({ secrets: operations.secrets }),
    createOperationsRoutes({
      workflowSync: operations.workflowSync,
      configStatus: operations.configStatus,
      customizations: operations.customizations,
      pipelinesAndSteps: operations.pipelinesAndSteps,
    }),
  ];
}
