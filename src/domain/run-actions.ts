import type { Run, RunStatus } from './run.js';

/** What an operator can do to one run from the run page or `/api/runs/:id/…`. */
export const RUN_ACTIONS = ['stop', 'restart', 'retry', 'delete'] as const;
export type RunAction = (typeof RUN_ACTIONS)[number];

/**
 * The statuses each action makes sense in. Stop takes a run that holds its
 * ticket (claimed, waiting to re-dispatch, started or running); retry a run
 * that ended without success; delete a run that holds nothing any more.
 */
export const RUN_ACTION_STATUSES: Record<RunAction, readonly RunStatus[]> = {
  stop: ['queued', 'claimed', 'launching', 'running', 'retrying'],
  restart: ['running'],
  retry: ['failed', 'timed_out', 'interrupted', 'cancelled'],
  delete: ['pr_opened', 'succeeded', 'failed', 'timed_out', 'cancelled', 'interrupted'],
};

const VERB: Record<RunAction, string> = { stop: 'stopped', restart: 'restarted', retry: 'retried', delete: 'deleted' };

/** The backends whose live job can be restarted in place (a local process is not yet). */
export const RESTARTABLE_BACKENDS: readonly Run['backend'][] = ['fly-machines', 'github-actions'];

function listed(statuses: readonly RunStatus[]): string {
  return statuses.length > 1 ? `${statuses.slice(0, -1).join(', ')} or ${statuses[statuses.length - 1]}` : (statuses[0] ?? '');
}

/** Why `action` is not allowed for the run as it is now, naming its status; undefined when it is. */
export function runActionRefusal(run: Pick<Run, 'id' | 'status' | 'shadowOf' | 'backend'>, action: RunAction): string | undefined {
  const allowed = RUN_ACTION_STATUSES[action];
  if (!allowed.includes(run.status)) {
    const hint = action === 'delete' ? ' Stop it first.' : '';
    return `Run ${run.id} is ${run.status}; only a ${listed(allowed)} run can be ${VERB[action]}.${hint}`;
  }
  // A shadow leg only mirrors its primary: a second leg starts with the primary's next run.
  if (action === 'restart' && !RESTARTABLE_BACKENDS.includes(run.backend)) {
    return `Run ${run.id} runs on ${run.backend}; only a run on ${RESTARTABLE_BACKENDS.join(' or ')} can be restarted. Stop and retry it instead.`;
  }
  if (action === 'retry' && run.shadowOf) return `Run ${run.id} is a shadow leg of run ${run.shadowOf}; retry the primary run instead.`;
  return undefined;
}

/** The actions the run page offers for a run in its current status. */
export function allowedRunActions(run: Pick<Run, 'id' | 'status' | 'shadowOf' | 'backend'>): RunAction[] {
  return RUN_ACTIONS.filter((action) => runActionRefusal(run, action) === undefined);
}
