import type { Octokit } from '@octokit/rest';
import type { Mapping } from '../../domain/mapping.js';
import { runIdOf, titleNamesRun } from '../../domain/workflow-run-title.js';
import type { Logger } from '../../logging/create-logger.js';
import type { DispatchRequest, RunnerBackend, UpstreamRun } from '../runner-backend.js';
import { toGitHubServiceError } from './to-github-service-error.js';

export const DEFAULT_WORKFLOW_FILE = 'claude-implement.yml';
const PER_PAGE = 100;
const MAX_PAGES = 10;
const FIND_WINDOW_MS = 24 * 60 * 60 * 1000;

export interface RepoRef {
  owner: string;
  repo: string;
}

export interface GitHubActionsBackendOptions {
  /**
   * An installation-authenticated client for the repository. It must not retry
   * POSTs on its own (plain @octokit/rest has no retry plugin): a retried
   * dispatch that had been applied starts a second workflow run.
   */
  getOctokit: (owner: string, repo: string) => Promise<Octokit>;
  /** Repositories `listLive` looks at (the mapped ones). */
  repos?: () => Promise<RepoRef[]>;
  log?: Logger;
  now?: () => number;
}

type WorkflowRunData = Awaited<ReturnType<Octokit['rest']['actions']['listWorkflowRunsForRepo']>>['data']['workflow_runs'][number];

/**
 * Runs a job as a `workflow_dispatch` of the mapping's workflow. The run id
 * travels only in the inputs and, through `run-name: AI-Implement ${{ inputs.run_id }}`,
 * in the run's `display_title`, which is how `find` recognises it later.
 */
export function createGitHubActionsBackend(options: GitHubActionsBackendOptions): RunnerBackend {
  const now = options.now ?? Date.now;

  async function find(runId: string, mapping: Mapping): Promise<UpstreamRun | undefined> {
    const octokit = await options.getOctokit(mapping.owner, mapping.repo);
    const created = `>=${new Date(now() - FIND_WINDOW_MS).toISOString().replace(/\.\d{3}Z$/, 'Z')}`;
    // Repo-wide listing covers both the implement and the planning workflow in one pass.
    for (let page = 1; page <= MAX_PAGES; page++) {
      let runs: WorkflowRunData[];
      try {
        const { data } = await octokit.rest.actions.listWorkflowRunsForRepo({
          owner: mapping.owner,
          repo: mapping.repo,
          event: 'workflow_dispatch',
          created,
          per_page: PER_PAGE,
          page,
        });
        runs = data.workflow_runs;
      } catch (error) {
        throw toGitHubServiceError(error, 'list workflow runs', now);
      }
      const match = runs.find((r) => titleNamesRun(r.display_title, runId));
      if (match) return toUpstreamRun(match, runId, mapping.teamKey);
      if (runs.length < PER_PAGE) return undefined;
    }
    return undefined;
  }

  return {
    kind: 'github-actions',

    async dispatch(request: DispatchRequest): Promise<UpstreamRun> {
      const { mapping } = request;
      const workflow = workflowFor(mapping, request.phase);
      const octokit = await options.getOctokit(mapping.owner, mapping.repo);
      let data: { workflow_run_id?: number; html_url?: string } | undefined;
      try {
        const response = await octokit.request('POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches', {
          owner: mapping.owner,
          repo: mapping.repo,
          workflow_id: workflow,
          ref: mapping.defaultBranch,
          // Inputs are readable by anyone who can read the repository: only the
          // run id and where to call back. The job trades an OIDC token for its secrets.
          inputs: { run_id: request.runId, orchestrator_url: request.orchestratorUrl },
          return_run_details: true,
        });
        data = response.data as typeof data;
      } catch (error) {
        throw toGitHubServiceError(error, `dispatch ${workflow}`, now);
      }
      options.log?.info({ runId: request.runId, workflow, workflowRunId: data?.workflow_run_id }, 'workflow dispatched');
      if (data?.workflow_run_id !== undefined) {
        return {
          upstreamId: String(data.workflow_run_id),
          runId: request.runId,
          state: 'pending',
          mappingKey: mapping.teamKey,
          ...(request.issueIdentifier ? { issueIdentifier: request.issueIdentifier } : {}),
          ...(data.html_url ? { url: data.html_url } : {}),
        };
      }
      // An older GitHub (Enterprise) answers 204 without run details: look the run up.
      const found = await find(request.runId, mapping);
      if (!found) throw toGitHubServiceError(new Error('dispatch accepted but the workflow run is not listed yet'), `dispatch ${workflow}`, now);
      return found;
    },

    find,

    async restart(upstreamId: string, mapping: Mapping): Promise<void> {
      const octokit = await options.getOctokit(mapping.owner, mapping.repo);
      const run_id = Number(upstreamId);
      try {
        // GitHub re-runs only a completed run: the live attempt is cancelled first, then re-run as the next attempt.
        await octokit.rest.actions.cancelWorkflowRun({ owner: mapping.owner, repo: mapping.repo, run_id }).catch((error: unknown) => {
          if ((error as { status?: number }).status !== 409) throw error;
        });
        await octokit.rest.actions.reRunWorkflow({ owner: mapping.owner, repo: mapping.repo, run_id });
      } catch (error) {
        throw toGitHubServiceError(error, 're-run workflow run', now);
      }
    },

    async cancel(upstreamId: string, mapping: Mapping): Promise<void> {
      const octokit = await options.getOctokit(mapping.owner, mapping.repo);
      try {
        await octokit.rest.actions.cancelWorkflowRun({ owner: mapping.owner, repo: mapping.repo, run_id: Number(upstreamId) });
      } catch (error) {
        // 409: the run already completed, which is what cancelling wants.
        if ((error as { status?: number }).status === 409) return;
        throw toGitHubServiceError(error, 'cancel workflow run', now);
      }
    },

    async listLive(): Promise<UpstreamRun[]> {
      const repos = (await options.repos?.()) ?? [];
      const live: UpstreamRun[] = [];
      for (const { owner, repo } of repos) {
        const octokit = await options.getOctokit(owner, repo);
        for (const status of ['queued', 'in_progress'] as const) {
          try {
            const { data } = await octokit.rest.actions.listWorkflowRunsForRepo({ owner, repo, event: 'workflow_dispatch', status, per_page: PER_PAGE });
            for (const run of data.workflow_runs) {
              const runId = runIdOf(run.display_title);
              if (runId) live.push(toUpstreamRun(run, runId));
            }
          } catch (error) {
            throw toGitHubServiceError(error, 'list live workflow runs', now);
          }
        }
      }
      return live;
    },
  };
}

export function workflowFor(mapping: Mapping, phase: DispatchRequest['phase']): string {
  if (phase === 'plan' && mapping.planningWorkflowFile) return mapping.planningWorkflowFile;
  return mapping.workflowFile ?? DEFAULT_WORKFLOW_FILE;
}

function toUpstreamRun(run: WorkflowRunData, runId: string, mappingKey?: string): UpstreamRun {
  return {
    upstreamId: String(run.id),
    runId,
    url: run.html_url,
    state: stateOf(run.status, run.conclusion),
    ...(run.run_started_at ? { startedAt: run.run_started_at } : {}),
    ...(mappingKey ? { mappingKey } : {}),
  };
}

function stateOf(status: string | null, conclusion: string | null): UpstreamRun['state'] {
  if (status === 'in_progress') return 'running';
  if (status !== 'completed') return status ? 'pending' : 'unknown';
  if (conclusion === 'success') return 'succeeded';
  if (conclusion === 'cancelled') return 'cancelled';
  return 'failed';
}
