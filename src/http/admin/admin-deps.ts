import type { SandboxControl } from '../../admin/sandbox-control.js';
import type { AdminCommands } from '../../admin/admin-commands.js';
import type { RunActions } from '../../admin/run-actions.js';
import type { ScheduleCommands } from '../../admin/schedule-commands.js';
import type { AdminAuth } from '../../admin/auth/admin-auth.js';
import type { Config, Redaction } from '../../config/index.js';
import type { Logger } from '../../logging/create-logger.js';
import type { Operations } from '../../operations/create-operations.js';
import type { IntakeCycleResult } from '../../orchestrator/intake-cycle.js';
import type { Store } from '../../store/store.js';
import type { JiraAdmin } from '../../trackers/jira/index.js';
import type { RunChangeFeed } from './routes/run-events-route.js';
import type { BudgetRoutesDeps } from '../api/budget-routes.js';

export interface AdminDeps {
  config: Readonly<Config>;
  store: Store;
  clock: () => number;
  log: Logger;
  /**
   * The access-code auth shared with `POST /api/auth`: one throttle and one
   * session table for both doors. Only the three calls the panels make, so a
   * test can stand in for it without the class's private state.
   */
  auth: Pick<AdminAuth, 'login' | 'authenticate' | 'logout'>;
  /** The same project and settings commands the JSON API uses. */
  commands: AdminCommands;
  /** Stop, retry and delete of one run, shared with `/api/runs/:id/…`; unset, the run page offers no actions. */
  runActions?: RunActions;
  /** The `/api/schedules` commands, for the Schedules panel; unset, the panel lists nothing and offers no forms. */
  schedules?: ScheduleCommands;
  /** Spend limits (the Overview's spend, the paused tickets and their Resume button); unset, neither shows. */
  budget?: BudgetRoutesDeps;
  /** The operations services; an absent one (no Fly, no GitHub App) shows as "not available" on its panel. */
  operations: Operations;
  /** JQL checks and field discovery for the project stepper; undefined without Jira. */
  jira: JiraAdmin | undefined;
  /** The last full intake cycle (blockers, candidates); undefined before the first one. */
  latestCycle: () => IntakeCycleResult | undefined;
  /** Where views/ and pipelines/ live. */
  projectRoot: string;
  /** How often the run page's event stream looks for changes (default 1 s; 10 s with `runChanges`, which wakes it at each change). */
  ssePollMs?: number;
  /** Announces run changes made on any replica, so the run page's stream need not poll for them. */
  runChanges?: RunChangeFeed;
  /** Scrubs every page, fragment and live-stream event of known secrets and credential shapes. */
  redaction?: Redaction;
  /** Sandbox mode's things to try (the Overview's sandbox card and its forms); unset outside sandbox mode. */
  sandbox?: SandboxControl;
}
