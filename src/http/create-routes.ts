import type { SandboxControl } from '../admin/sandbox-control.js';
import { createSandboxRoutes } from './api/sandbox-routes.js';
import type { Router } from 'express';
import type { RunChangeFeed } from './admin/routes/run-events-route.js';
import type { AdminAuth } from '../admin/auth/admin-auth.js';
import type { RunActions } from '../admin/run-actions.js';
import type { Config, Redaction } from '../config/index.js';
import type { NewDelivery } from '../domain/inbox-delivery.js';
import type { GapFillTrigger } from '../github/create-github-integration.js';
import type { Logger } from '../logging/create-logger.js';
import type { Operations } from '../operations/create-operations.js';
import type { IntakeCycleResult } from '../orchestrator/intake-cycle.js';
import type { Store } from '../store/store.js';
import type { JiraAdmin } from '../trackers/jira/index.js';
import { mountAdminPanels } from './admin/mount-admin-panels.js';
import { createAdminApi } from './api/create-admin-api.js';
import { createOperationsApiModules } from './api/operations-routes.js';
import { createRunActionsRoutes } from './api/run-actions-routes.js';
import { createSchedulesRoutes } from './api/schedules-routes.js';
import type { ScheduleCommands } from '../admin/schedule-commands.js';
import { createBudgetRoutes, type BudgetRoutesDeps } from './api/budget-routes.js';
import { createRunReportRoutes } from './api/run-report-routes.js';
import type { DirectRoute } from './direct-routes.js';
import { createGitHubWebhookRoute } from './github-webhook-route.js';
import { createRunnerRoutes, type RunnerRoutesDeps } from './runner-routes.js';
import { createTrackerWebhookRoutes } from './tracker-webhook-routes.js';
import { createTriggerRoutes } from './trigger-routes.js';

export interface RouteRootInput {
  config: Readonly<Config>;
  store: Store;
  log: Logger;
  clock: () => number;
  version: string;
  /** Every webhook route records its verified delivery here (`InboxWorker.accept`). */
  acceptDelivery: (delivery: NewDelivery) => Promise<{ duplicate: boolean }>;
  /** The runner callbacks (`/runner/*`). */
  runner: RunnerRoutesDeps;
  /** `/trigger/gap-fill`; unset without GitHub App credentials. */
  gapFill: GapFillTrigger | undefined;
  operations: Operations;
  /** Stop, retry and delete of one run, for `/api/runs/:id/…` and the run page. */
  runActions: RunActions;
  /** Scheduled runs, for `/api/schedules` and the Schedules panel. */
  schedules: ScheduleCommands;
  /** Spend limits: the paused tickets and their resume. */
  budget?: BudgetRoutesDeps;
  /** The last full intake cycle (blockers, candidates). */
  latestCycle: () => IntakeCycleResult | undefined;
  /** The access-code auth of `/api` and `/admin`; unset when ADMIN_ACCESS_CODE is unset. */
  adminAuth: AdminAuth | undefined;
  /** Jira admin calls (JQL checks, field discovery); unset without Jira. */
  jiraAdmin: JiraAdmin | undefined;
  /** The process's redactor: every `/api` answer, page and live-stream event passes it on the way out. */
  redaction: Redaction;
  /** Run changes made on any replica, for the run page's live stream. */
  runChanges?: RunChangeFeed;
  /** Sandbox mode's things to try (`/api/sandbox/*`, the Overview's sandbox card); unset outside sandbox mode. */
  sandbox?: SandboxControl;
}

export interface RouteTree {
  /** Answered on the node listener ahead of express (the GitHub webhook acknowledgement). */
  direct: DirectRoute[];
  /** Express routers in mounting order: webhooks, runner callbacks, triggers, `/api`, `/admin`. */
  routers: Router[];
}

/** The whole HTTP surface, built in one place from what the composition root holds. */
export function createRoutes(input: RouteRootInput): RouteTree {
  const { config, store, clock } = input;
  const adminApi = createAdminApi({
    auth: input.adminAuth,
    store,
    clock,
    version: input.version,
    trustedProxyHeader: config.trustedProxyHeader,
    runnerModeOverride: config.runnerModeOverride,
    fly: config.fly,
    jira: input.jiraAdmin,
    latestCycle: input.latestCycle,
    modules: [
      ...createOperationsApiModules(input.operations, { store, clock }),
      createRunActionsRoutes({ actions: input.runActions }),
      createSchedulesRoutes({ schedules: input.schedules }),
      ...(input.budget ? [createBudgetRoutes(input.budget)] : []),
      createRunReportRoutes({ store, redaction: input.redaction }),
      ...(input.sandbox ? [createSandboxRoutes(input.sandbox)] : []),
    ],
    redaction: input.redaction,
    runnerImageAllowlist: config.runnerImageAllowlist,
  });
  return {
    direct: [createGitHubWebhookRoute({ secret: config.github.webhookSecret, now: clock, accept: input.acceptDelivery })],
    routers: [
      createTrackerWebhookRoutes({ linearSecret: config.linear.webhookSecret, jiraSecret: config.jira.webhookSecret, accept: input.acceptDelivery, clock }),
      createRunnerRoutes(input.runner),
      createTriggerRoutes({ secret: config.gapFillTriggerSecret, gapFill: input.gapFill }),
      adminApi.router,
      mountAdminPanels({
        config,
        store,
        log: input.log,
        clock,
        auth: input.adminAuth,
        commands: adminApi.commands,
        jira: input.jiraAdmin,
        operations: input.operations,
        runActions: input.runActions,
        schedules: input.schedules,
        ...(input.budget ? { budget: input.budget } : {}),
        latestCycle: input.latestCycle,
        redaction: input.redaction,
        ...(input.runChanges ? { runChanges: input.runChanges } : {}),
        ...(input.sandbox ? { sandbox: input.sandbox } : {}),
      }),
    ],
  };
}
