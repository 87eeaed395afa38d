import { Octokit } from '@octokit/rest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GitHubEmulator } from '../../../src/sandbox/github/index.js';
import { silentLog } from './create-test-probot.js';
import { auditGitHub, expectTrueToVendor } from '../../support/vendor-fidelity/vendor-audits.js';

async function failure(promise: Promise<unknown>): Promise<{ status?: number; response?: { headers: Record<string, string>; data: unknown } }> {
  try {
    await promise;
  } catch (error) {
    return error as { status?: number };
  }
  throw new Error('expected the request to fail');
}

describe('GitHubEmulator faults and GitHub-like refusals through @octokit/rest', () => {
  const github = new GitHubEmulator();
  const githubAudit = auditGitHub(github.server);
  let octokit: Octokit;

  beforeAll(async () => {
    await github.start();
    const installation = github.state.addInstallation({ account: 'acme' });
    github.state.addRepo({ owner: 'acme', name: 'app' });
    github.state.addWorkflow('acme', 'app', { file: 'run.yml', name: 'AI-Implement', runName: 'AI-Implement ${{ inputs.run_id }}' });
    octokit = new Octokit({ log: silentLog, baseUrl: github.url, auth: github.issueToken(installation.id).token });
  });

  afterEach(() => {
    github.server.clearFaults();
  });

  afterAll(async () => {
    await github.stop();
    expectTrueToVendor(githubAudit, 'GitHub');
  });

  it('surfaces an injected 502 as a RequestError and leaves state untouched', async () => {
    github.state.setFile('acme', 'app', 'ai/ENG-2', 'a.txt', 'a');
    github.server.injectFault({ kind: 'error', status: 502, method: 'POST', path: '/pulls', times: 1 });
    const error = await failure(octokit.rest.pulls.create({ owner: 'acme', repo: 'app', head: 'ai/ENG-2', base: 'main', title: 'x' }));
    expect(error.status).toBe(502);
    expect(github.state.pulls).toHaveLength(0);
    const { status } = await octokit.rest.pulls.create({ owner: 'acme', repo: 'app', head: 'ai/ENG-2', base: 'main', title: 'x' });
    expect(status).toBe(201);
  });

  it('answers an injected rate limit with 429 and Retry-After', async () => {
    github.server.injectFault({ kind: 'rate-limit', retryAfterSeconds: 7, path: '/repos/acme/app', times: 1 });
    const error = await failure(octokit.rest.repos.get({ owner: 'acme', repo: 'app' }));
    expect(error.status).toBe(429);
    expect(error.response?.headers['retry-after']).toBe('7');
  });

  it('records a dispatch cut off by drop-after-apply, so a reconciler can find the run', async () => {
    github.server.injectFault({ kind: 'drop-after-apply', method: 'POST', path: '/dispatches', times: 1 });
    const before = github.state.runs.length;
    const dispatch = octokit.rest.actions.createWorkflowDispatch({ owner: 'acme', repo: 'app', workflow_id: 'run.yml', ref: 'main', inputs: { run_id: 'run_lost' } });
    await expect(dispatch).rejects.toThrow();
    expect(github.state.runs).toHaveLength(before + 1);
    expect(github.server.requestsTo('POST', '/dispatches').at(-1)?.outcome).toBe('dropped');
    const { data } = await octokit.rest.actions.listWorkflowRunsForRepo({ owner: 'acme', repo: 'app', event: 'workflow_dispatch' });
    expect(data.workflow_runs.some((r) => r.display_title === 'AI-Implement run_lost')).toBe(true);
  });

  it('refuses a second pull request for the same head and one with no commits', async () => {
    const duplicate = await failure(octokit.rest.pulls.create({ owner: 'acme', repo: 'app', head: 'acme:ai/ENG-2', base: 'main', title: 'again' }));
    expect(duplicate.status).toBe(422);
    expect(JSON.stringify(duplicate.response?.data)).toContain('A pull request already exists for acme:ai/ENG-2');
    await octokit.rest.git.createRef({ owner: 'acme', repo: 'app', ref: 'refs/heads/empty', sha: github.state.branches('acme', 'app').main ?? '' });
    const empty = await failure(octokit.rest.pulls.create({ owner: 'acme', repo: 'app', head: 'empty', base: 'main', title: 'empty' }));
    expect(empty.status).toBe(422);
    const exists = await failure(octokit.rest.git.createRef({ owner: 'acme', repo: 'app', ref: 'refs/heads/empty', sha: github.state.branches('acme', 'app').main ?? '' }));
    expect(exists.status).toBe(422);
  });

  it('checks the blob sha on content updates', async () => {
    const params = { owner: 'acme', repo: 'app', path: 'docs/plan.md', branch: 'main', message: 'plan' };
    const created = await octokit.rest.repos.createOrUpdateFileContents({ ...params, content: Buffer.from('v1').toString('base64') });
    expect(created.status).toBe(201);
    const missingSha = await failure(octokit.rest.repos.createOrUpdateFileContents({ ...params, content: Buffer.from('v2').toString('base64') }));
    expect(missingSha.status).toBe(422);
    const wrongSha = await failure(
      octokit.rest.repos.createOrUpdateFileContents({ ...params, content: Buffer.from('v2').toString('base64'), sha: '0'.repeat(40) }),
    );
    expect(wrongSha.status).toBe(409);
    const updated = await octokit.rest.repos.createOrUpdateFileContents({
      ...params,
      content: Buffer.from('v2').toString('base64'),
      sha: created.data.content?.sha ?? '',
    });
    expect(updated.status).toBe(200);
    expect(github.state.readFile('acme', 'app', 'docs/plan.md')).toBe('v2');
    expect((await failure(octokit.rest.repos.getContent({ owner: 'acme', repo: 'app', path: 'nope.md' }))).status).toBe(404);
  });

  it('refuses a non-fast-forward ref update unless forced', async () => {
    const main = github.state.branches('acme', 'app').main ?? '';
    const side = github.state.setFile('acme', 'app', 'side', 'side.txt', 'side');
    const refused = await failure(octokit.rest.git.updateRef({ owner: 'acme', repo: 'app', ref: 'heads/side', sha: main }));
    expect(refused.status).toBe(422);
    await octokit.rest.git.updateRef({ owner: 'acme', repo: 'app', ref: 'heads/side', sha: main, force: true });
    expect(github.state.branches('acme', 'app').side).toBe(main);
    expect(side).not.toBe(main);
  });

  it('filters, paginates and cancels workflow runs', async () => {
    for (const id of ['p1', 'p2', 'p3', 'p4', 'p5']) {
      await octokit.rest.actions.createWorkflowDispatch({ owner: 'acme', repo: 'app', workflow_id: 'run.yml', ref: 'main', inputs: { run_id: id } });
    }
    const all = await octokit.paginate(octokit.rest.actions.listWorkflowRunsForRepo, { owner: 'acme', repo: 'app', per_page: 2 });
    expect(all.map((r) => r.display_title)).toEqual(expect.arrayContaining(['AI-Implement p1', 'AI-Implement p5']));
    expect(new Set(all.map((r) => r.id)).size).toBe(all.length);
    const { data: page1 } = await octokit.rest.actions.listWorkflowRunsForRepo({ owner: 'acme', repo: 'app', per_page: 2 });
    expect(page1.workflow_runs).toHaveLength(2);
    expect(page1.total_count).toBe(all.length);

    const future = new Date(Date.now() + 3_600_000).toISOString();
    const { data: none } = await octokit.rest.actions.listWorkflowRunsForRepo({ owner: 'acme', repo: 'app', created: `>=${future}` });
    expect(none.total_count).toBe(0);

    const target = all.find((r) => r.display_title === 'AI-Implement p3');
    expect(target).toBeDefined();
    const runId = target?.id ?? 0;
    github.state.setRunStatus(runId, 'in_progress');
    const { data: running } = await octokit.rest.actions.listWorkflowRunsForRepo({ owner: 'acme', repo: 'app', status: 'in_progress' });
    expect(running.workflow_runs.map((r) => r.id)).toEqual([runId]);
    expect((await octokit.rest.actions.cancelWorkflowRun({ owner: 'acme', repo: 'app', run_id: runId })).status).toBe(202);
    expect(github.state.run(runId)).toMatchObject({ status: 'completed', conclusion: 'cancelled' });
    expect((await failure(octokit.rest.actions.cancelWorkflowRun({ owner: 'acme', repo: 'app', run_id: runId }))).status).toBe(409);

    const badRef = await failure(octokit.rest.actions.createWorkflowDispatch({ owner: 'acme', repo: 'app', workflow_id: 'run.yml', ref: 'nope' }));
    expect(badRef.status).toBe(422);
    const badWorkflow = await failure(octokit.rest.actions.createWorkflowDispatch({ owner: 'acme', repo: 'app', workflow_id: 'other.yml', ref: 'main' }));
    expect(badWorkflow.status).toBe(404);
  });
});
