import type { Run, RunStatus } from '../domain/run.js';
import { isTerminal } from '../domain/run-status.js';
import { ConflictError } from '../errors/index.js';
import { settleRunOutcome, type SettleDeps } from './settle-run-outcome.js';

export interface LostRunner {
  runId: string;
  /** The job that ended; a run already re-dispatched to another job is left alone. */
  upstreamId: string;
  /** What the backend saw, e.g. `exited with code 1`, `workflow run concluded failure`. */
  reason: string;
  /**
   * Only when AI-Implement stopped the job itself (an operator, a ticket that
   * is done): the run is cancelled and not retried. A job stopped by anyone
   * else ended without a result like any other and fails.
   */
  cancelled?: boolean;
  /** Its deadline ended it (the local runner's timer, the reaper's maxJobMinutes): the run is `timed_out`. */
  timedOut?: boolean;
}

/**
 * A runner's job ended but its run is still live: the runner died before it
 * could post a result (crash, refused job fetch, killed machine). The run is
 * failed with the backend's reason — the result can never come now — its end
 * is written on the ticket, and it is fed to the retry accounting like any failure.
 */
export async function settleLostRunner(deps: SettleDeps, lost: LostRunner): Promise<Run | undefined> {
  const run = await deps.store.runs.getRun(lost.runId);
  if (!run || isTerminal(run.status) || run.upstreamId !== lost.upstreamId) return undefined;
  let settled: Run;
  try {
    settled = await deps.store.runs.updateRun(
      run.id,
      {
        status: lost.cancelled ? 'cancelled' : lost.timedOut ? 'timed_out' : 'failed',
        failureReason: `The runner ${lost.reason} without reporting a result`,
        failedStep: 'runner',
        finishedAt: new Date(deps.clock()).toISOString(),
      },
      { expectAttempt: run.attempt, expectStatus: ['claimed', 'launching', 'running'] satisfies RunStatus[] },
    );
  } catch (error) {
    // The result arrived meanwhile, or the run moved on to another attempt: nothing is lost.
    if (error instanceof ConflictError) return undefined;
    throw error;
  }
  deps.log.warn({ runId: run.id, upstreamId: lost.upstreamId, reason: lost.reason }, 'runner ended without a result');
  try {
    // No result will ever write the ticket, so the settlement does: the run's end and why, not "Running" forever.
    await deps.announceEnd?.(settled);
  } catch (error) {
    deps.log.error({ err: error, runId: run.id }, 'could not write the end of a lost run on its ticket');
  }
  await settleRunOutcome(deps, settled);
  return settled;
}

/** How a local runner process ended, as its backend reports it. */
export interface ExitedRunner {
  runId: string;
  upstreamId: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  stopReason: string | undefined;
}

/** The local backend's exit hook: a child that ended without a result settles its run (a result that came first wins). */
export function settleExitedRunner(deps: SettleDeps): (exit: ExitedRunner) => void {
  return (exit) => {
    const reason = exit.stopReason === 'deadline' ? 'was stopped at its deadline' : `exited with ${exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`}`;
    settleLostRunner(deps, { runId: exit.runId, upstreamId: exit.upstreamId, reason, cancelled: exit.stopReason === 'cancel', timedOut: exit.stopReason === 'deadline' }).catch((error: unknown) =>
      deps.log.error({ err: error, runId: exit.runId }, 'could not settle a runner that exited'),
    );
  };
}
