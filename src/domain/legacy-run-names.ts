import type { Run, RunStatus, TriggerSource } from './run.js';
import { RENAMED_RUN_STATUSES, isRunStatus } from './run-status.js';

/**
 * A run written before issue 19 renamed the lifecycle, in today's names:
 * `dispatching` → `claimed`, `dispatched` → `launching`, a `succeeded` run
 * with a pull request → `pr_opened` (a plan, or a run without a PR, stays
 * `succeeded`); sources `webhook` → `linear-webhook`/`jira-webhook` by the
 * run's tracker, `comment` → `pr-comment`, `trigger` → `gap-fill-trigger`.
 * Returns the same object when nothing was old, so callers can tell.
 */
export function upgradeLegacyRun(run: Run): Run {
  const status = upgradeStatus(run);
  const triggerSource = upgradeTriggerSource(run);
  if (status === run.status && triggerSource === run.triggerSource) return run;
  return { ...run, status, triggerSource };
}

function upgradeStatus(run: Run): RunStatus {
  const raw: string = run.status;
  const renamed = RENAMED_RUN_STATUSES[raw];
  if (renamed && isRunStatus(renamed)) return renamed;
  if (raw === 'succeeded' && run.phase !== 'plan' && run.prUrl) return 'pr_opened';
  return run.status;
}

function upgradeTriggerSource(run: Run): TriggerSource {
  const raw: string = run.triggerSource;
  if (raw === 'webhook') return run.tracker === 'jira' ? 'jira-webhook' : 'linear-webhook';
  if (raw === 'comment') return 'pr-comment';
  if (raw === 'trigger') return 'gap-fill-trigger';
  return run.triggerSource;
}
