import type { SandboxControl } from '../../admin/sandbox-control.js';
import { Router } from 'express';
import type { RunChangeFeed } from './routes/run-events-route.js';
import type { AdminAuth } from '../../admin/auth/admin-auth.js';
import { clientIpOf } from '../../admin/auth/client-ip.js';
import type { Config, Redaction } from '../../config/index.js';
import type { Logger } from '../../logging/create-logger.js';
import type { Operations } from '../../operations/create-operations.js';
import type { IntakeCycleResult } from '../../orchestrator/intake-cycle.js';
import type { Store } from '../../store/store.js';
import type { JiraAdmin } from '../../trackers/jira/index.js';
import type { AdminCommands } from '../../admin/admin-commands.js';
import type { RunActions } from '../../admin/run-actions.js';
import type { ScheduleCommands } from '../../admin/schedule-commands.js';
import { findProjectRoot } from '../../package-info.js';
import { createAdminRouter } from './create-admin-router.js';
import type { BudgetRoutesDeps } from '../api/budget-routes.js';

export interface MountAdminPanelsInput {
  config: Readonly<Config>;
  store: Store;
  log: Logger;
  clock: () => number;
  /** Sessions, secrets, workflow sync, config checks and custom/ listing, as the API's modules use them. */
  operations: Operations;
  /** The poller's latest full cycle (undefined before the first one, or without a poller). */
  latestCycle: () => IntakeCycleResult | undefined;
  /** The access-code auth shared with `POST /api/auth`; undefined when ADMIN_ACCESS_CODE is unset. */
  auth: AdminAuth | undefined;
  /** The API's project and settings commands, so both doors change things the same way. */
  commands: AdminCommands;
  /** The run page's stop, retry and delete buttons (the `/api/runs/:id/…` commands); unset, the page shows none. */
  runActions?: RunActions;
  /** The `/api/schedules` commands, for the Schedules panel. */
  schedules?: ScheduleCommands;
  /** Spend limits: the Overview's spend and the paused tickets' Resume button. */
  budget?: BudgetRoutesDeps;
  /** The API's Jira admin client (JQL checks, field discovery); undefined without Jira. */
  jira: JiraAdmin | undefined;
  /** The process's redactor: pages, fragments and the live stream are scrubbed with it. */
  redaction: Redaction;
  /** Sandbox mode's things to try, for the Overview's sandbox card; unset outside sandbox mode. */
  sandbox?: SandboxControl;
  projectRoot?: string;
  /** Run changes on any replica, pushed to the run page's live stream. */
  runChanges?: RunChangeFeed;
}

/** Builds the `/admin` router from what the composition root holds (one line there mounts it). */
export function mountAdminPanels(input: MountAdminPanelsInput): Router {
  if (!input.auth || !input.config.adminAccessCode) return Router();
  const { config } = input;
  return createAdminRouter(
    {
      config,
      store: input.store,
      clock: input.clock,
      log: input.log.child({ component: 'admin-panels' }),
      // The same instance as `/api/auth`, so one throttle counts attempts on both doors.
      auth: input.auth,
      commands: input.commands,
      ...(input.runActions ? { runActions: input.runActions } : {}),
      ...(input.schedules ? { schedules: input.schedules } : {}),
      ...(input.budget ? { budget: input.budget } : {}),
      operations: input.operations,
      jira: input.jira,
      latestCycle: input.latestCycle,
      redaction: input.redaction,
      ...(input.sandbox ? { sandbox: input.sandbox } : {}),
      projectRoot: input.projectRoot ?? findProjectRoot(),
      ...(input.runChanges ? { runChanges: input.runChanges } : {}),
    },
    { clientKeyOf: (req) => clientIpOf(req, config.trustedProxyHeader) },
  );
}
