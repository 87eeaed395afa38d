import type { Octokit } from '@octokit/rest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ExternalServiceError } from '../../src/errors/index.js';
import { runIdOf, titleNamesRun } from '../../src/domain/workflow-run-title.js';
import { createGitHubActionsBackend } from '../../src/runners/github-actions/create-github-actions-backend.js';
import type { RunnerBackend } from '../../src/runners/runner-backend.js';
import type { GitHubEmulator } from '../../src/sandbox/github/index.js';
import type { TrafficAudit } from '../support/vendor-fidelity/traffic-audit.js';
import { auditGitHub, expectTrueToVendor } from '../support/vendor-fidelity/vendor-audits.js';
import { ORCHESTRATOR_URL, dispatchRequest, startGitHub, testMapping } from './support/runner-fixtures.js';

describe('GitHub Actions backend against the GitHub emulator', () => {
  let github: GitHubEmulator;
  let getOctokit: (owner: string, repo: string) => Promise<Octokit>;
  let backend: RunnerBackend;
  let audit: TrafficAudit;
  const mapping = testMapping({ planningWorkflowFile: 'claude-plan.yml' });

  beforeAll(async () => {
    ({ github, getOctokit } = await startGitHub());
    audit = auditGitHub(github.server);
    backend = createGitHubActionsBackend({ getOctokit, repos: async () => [{ owner: 'acme', repo: 'app' }] });
  });

  afterEach(() => github.server.clearFaults());
  afterAll(async () => {
    await github.stop();
    expectTrueToVendor(audit, 'GitHub');
  });

  it('dispatches the workflow with only run_id and orchestrator_url as inputs', async () => {
    const request = dispatchRequest('run_gha_1', mapping, { secrets: { ANTHROPIC_API_KEY: 'sk-secret' } });
    const upstream = await backend.dispatch(request);

    const run = github.state.run(Number(upstream.upstreamId));
    expect(run).toBeDefined();
    expect(run?.inputs).toEqual({ run_id: 'run_gha_1', orchestrator_url: ORCHESTRATOR_URL });
    expect(run?.displayTitle).toBe('AI-Implement run_gha_1');
    expect(run?.headBranch).toBe('main');
    expect(github.state.workflows.find((w) => w.id === run?.workflowId)?.path).toBe('.github/workflows/claude-implement.yml');
    expect(upstream).toMatchObject({ runId: 'run_gha_1', state: 'pending', mappingKey: 'ENG' });
    expect(upstream.url).toContain(`/actions/runs/${upstream.upstreamId}`);
    // Neither tokens nor secrets travel in the public request body.
    const posted = JSON.stringify(github.server.requestsTo('POST', '/dispatches').at(-1)?.body);
    expect(posted).not.toContain('sk-secret');
    expect(posted).not.toContain('progress-');
  });

  it('uses the planning workflow for the plan phase', async () => {
    const upstream = await backend.dispatch(dispatchRequest('run_gha_plan', mapping, { phase: 'plan' }));
    const run = github.state.run(Number(upstream.upstreamId));
    expect(github.state.workflows.find((w) => w.id === run?.workflowId)?.path).toBe('.github/workflows/claude-plan.yml');
  });

  it('finds a run by the run id in its display title, and only that run', async () => {
    const first = await backend.dispatch(dispatchRequest('run_find_1', mapping));
    await backend.dispatch(dispatchRequest('run_find_10', mapping));
    const found = await backend.find('run_find_1', mapping);
    expect(found?.upstreamId).toBe(first.upstreamId);
    expect(await backend.find('run_find_nope', mapping)).toBeUndefined();
    github.state.setRunStatus(Number(first.upstreamId), 'in_progress');
    expect((await backend.find('run_find_1', mapping))?.state).toBe('running');
  });

  it('pages through more than one page of runs to find an old one', async () => {
    const oldest = await backend.dispatch(dispatchRequest('run_paged_first', mapping));
    for (let i = 0; i < 105; i++) await backend.dispatch(dispatchRequest(`run_paged_${i}`, mapping));
    const found = await backend.find('run_paged_first', mapping);
    expect(found?.upstreamId).toBe(oldest.upstreamId);
    const pages = github.server.requestsTo('GET', '/actions/runs').slice(-2).map((r) => r.query.page);
    expect(pages).toEqual(['1', '2']);
  });

  it('cancels a run, and cancelling a completed run is not an error', async () => {
    const upstream = await backend.dispatch(dispatchRequest('run_cancel', mapping));
    await backend.cancel(upstream.upstreamId, mapping);
    expect(github.state.run(Number(upstream.upstreamId))?.conclusion).toBe('cancelled');
    await expect(backend.cancel(upstream.upstreamId, mapping)).resolves.toBeUndefined();
    expect((await backend.find('run_cancel', mapping))?.state).toBe('cancelled');
  });

  it('lists queued and in-progress AI-Implement runs as live', async () => {
    const live = await backend.dispatch(dispatchRequest('run_live', mapping));
    const done = await backend.dispatch(dispatchRequest('run_done', mapping));
    github.state.setRunStatus(Number(live.upstreamId), 'in_progress');
    github.state.setRunStatus(Number(done.upstreamId), 'completed', 'success');
    const listed = await backend.listLive();
    expect(listed.find((r) => r.runId === 'run_live')?.state).toBe('running');
    expect(listed.some((r) => r.runId === 'run_done')).toBe(false);
  });

  it('turns an HTTP refusal into an ExternalServiceError with its status, and a cut connection into one without', async () => {
    github.server.injectFault({ kind: 'error', status: 502, method: 'POST', path: '/dispatches', times: 1 });
    const refused = await backend.dispatch(dispatchRequest('run_502', mapping)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ExternalServiceError);
    expect(refused).toMatchObject({ service: 'github', status: 502, retryable: true });

    github.server.injectFault({ kind: 'drop-after-apply', method: 'POST', path: '/dispatches', times: 1 });
    const dropped = await backend.dispatch(dispatchRequest('run_dropped', mapping)).catch((e: unknown) => e);
    expect(dropped).toBeInstanceOf(ExternalServiceError);
    expect((dropped as ExternalServiceError).status).toBeUndefined();
    // Exactly one POST each: the client did not retry behind our back.
    const posts = github.server.requestsTo('POST', '/dispatches').filter((r) => JSON.stringify(r.body).includes('run_dropped'));
    expect(posts).toHaveLength(1);
    expect((await backend.find('run_dropped', mapping))?.runId).toBe('run_dropped');

    const missing = await backend.dispatch(dispatchRequest('run_404', testMapping({ workflowFile: 'nope.yml' }))).catch((e: unknown) => e);
    expect(missing).toMatchObject({ status: 404, retryable: false });
  });

  it('reads run ids from titles on whole tokens only', () => {
    expect(runIdOf('AI-Implement run_1')).toBe('run_1');
    expect(runIdOf('Deploy')).toBeUndefined();
    expect(titleNamesRun('AI-Implement run_10', 'run_1')).toBe(false);
    expect(titleNamesRun('AI-Implement run_1 (ENG-4)', 'run_1')).toBe(true);
  });
});
