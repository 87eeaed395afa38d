import type { Logger } from 'pino';
import type { Run } from '../domain/run.js';
import { isTerminal } from '../domain/run-status.js';
import { runIdOf } from '../domain/workflow-run-title.js';
import { ConflictError, ExternalServiceError } from '../errors/index.js';
import { settleLostRunner } from '../orchestrator/settle-lost-runner.js';
import type { GitHubAppDeps } from './github-app-deps.js';
import { workflowRunPayload } from './webhook-payloads.js';

/**
 * `workflow_run` keeps GitHub Actions runs current without waiting for a
 * poll: `in_progress` marks a dispatched run running, and `completed` on a
 * run still live means the job ended without posting its result — it is
 * settled now as failed instead of at its deadline. The run is found by the
 * id in the run name (`AI-Implement <runId>`), else by upstream id.
 */
export async function handleWorkflowRun(deps: GitHubAppDeps, payload: unknown, log: Logger): Promise<void> {
  const parsed = workflowRunPayload.safeParse(payload);
  if (!parsed.success) return;
  const { action, workflow_run: job } = parsed.data;
  if (action !== 'completed' && action !== 'in_progress') return;
  const upstreamId = String(job.id);
  const run = await findRun(deps, job.display_title ?? undefined, upstreamId);
  if (!run || run.backend !== 'github-actions' || isTerminal(run.status)) return;
  if (!run.upstreamId) {
    // The job reported before its dispatch was recorded; the inbox retries this delivery in a moment.
    if (run.status === 'claimed') throw new ExternalServiceError(`run ${run.id} has no recorded workflow run yet`, { service: 'github', retryable: true });
    return;
  }
  if (run.upstreamId !== upstreamId) return; // a job of an earlier attempt

  if (action === 'in_progress') {
    if (run.status !== 'launching') return;
    try {
      await deps.store.runs.updateRun(
        run.id,
        { status: 'running', startedAt: job.run_started_at ?? new Date(deps.clock()).toISOString(), ...(job.html_url && !run.upstreamUrl ? { upstreamUrl: job.html_url } : {}) },
        { expectStatus: 'launching', expectAttempt: run.attempt },
      );
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
    return;
  }
  const conclusion = job.conclusion ?? 'unknown';
  // `cancelled` too is a failed try. Our own cancels record the run right after GitHub accepts
  // them, so a run still live here was stopped by its job's timeout-minutes or by someone on
  // GitHub; marked merely cancelled, its ticket would wait out the dedup window unretried.
  const settled = await settleLostRunner(deps.settle, { runId: run.id, upstreamId, reason: `workflow run concluded ${conclusion}` });
  if (settled) log.info({ runId: run.id, upstreamId, conclusion }, 'workflow run ended without a result; run settled');
}

async function findRun(deps: GitHubAppDeps, displayTitle: string | undefined, upstreamId: string): Promise<Run | undefined> {
  const named = runIdOf(displayTitle);
  const run = named ? await deps.store.runs.getRun(named) : undefined;
  if (run) return run;
  return (await deps.store.runs.listActiveRuns({ backend: 'github-actions' })).find((r) => r.upstreamId === upstreamId);
}
