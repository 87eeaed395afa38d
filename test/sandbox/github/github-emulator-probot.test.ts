import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubEmulator } from '../../../src/sandbox/github/index.js';
import { createTestProbot } from './create-test-probot.js';
import { auditGitHub, expectTrueToVendor } from '../../support/vendor-fidelity/vendor-audits.js';

describe('GitHubEmulator with the real Probot (GHE_HOST-style base URL)', () => {
  const github = new GitHubEmulator({ appId: 4242 });
  const githubAudit = auditGitHub(github.server);
  let installationId = 0;
  let baseUrl = '';

  beforeAll(async () => {
    await github.start();
    baseUrl = github.gheBaseUrl;
    const installation = github.state.addInstallation({ account: 'acme' });
    installationId = installation.id;
    github.state.addRepo({ owner: 'acme', name: 'app', files: { 'README.md': '# app\n', 'src/index.ts': 'export {};\n' } });
    github.state.addWorkflow('acme', 'app', {
      file: 'ai-implement.yml',
      name: 'AI-Implement',
      runName: 'AI-Implement ${{ inputs.run_id }}',
      inputs: { run_id: { required: true }, ticket: {} },
    });
    github.state.setPermission('acme', 'app', 'alice', 'maintain');
  });

  afterAll(async () => {
    await github.stop();
    expectTrueToVendor(githubAudit, 'GitHub');
  });

  it('builds the same base URL as Probot does from GHE_HOST and GHE_PROTOCOL', () => {
    const env = github.probotEnv;
    expect(`${env.GHE_PROTOCOL}://${env.GHE_HOST}/api/v3`).toBe(baseUrl);
    expect(env.APP_ID).toBe('4242');
  });

  it('runs a whole pull-request flow through Probot installation auth', async () => {
    const app = createTestProbot({ appId: github.appId, privateKey: github.privateKeyPem, baseUrl });
    const appOctokit = await app.auth();
    const { data: me } = await appOctokit.rest.apps.getAuthenticated();
    expect(me?.id).toBe(4242);
    const { data: repoInstallation } = await appOctokit.rest.apps.getRepoInstallation({ owner: 'acme', repo: 'app' });
    expect(repoInstallation.id).toBe(installationId);

    // The installation token is fetched lazily, on the first request.
    const octokit = await app.auth(installationId);
    const { data: main } = await octokit.rest.git.getRef({ owner: 'acme', repo: 'app', ref: 'heads/main' });
    expect(github.server.requestsTo('POST', `/api/v3/app/installations/${installationId}/access_tokens`)).toHaveLength(1);
    const [issued] = [...github.state.tokens.values()];
    expect(issued?.token).toMatch(/^ghs_/);
    const getRef = github.server.requestsTo('GET', '/api/v3/repos/acme/app/git/ref/heads%2Fmain').at(-1);
    expect(getRef?.headers.authorization).toBe(`token ${issued?.token}`);
    await octokit.rest.git.createRef({ owner: 'acme', repo: 'app', ref: 'refs/heads/ai/ENG-1', sha: main.object.sha });
    expect(github.state.branches('acme', 'app')['ai/ENG-1']).toBe(main.object.sha);

    const { data: put } = await octokit.rest.repos.createOrUpdateFileContents({
      owner: 'acme',
      repo: 'app',
      path: 'src/feature.ts',
      branch: 'ai/ENG-1',
      message: 'Add feature',
      content: Buffer.from('export const feature = 1;\n').toString('base64'),
    });
    expect(put.commit.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(github.state.readFile('acme', 'app', 'src/feature.ts', 'ai/ENG-1')).toBe('export const feature = 1;\n');
    expect(github.state.readFile('acme', 'app', 'src/feature.ts', 'main')).toBeUndefined();

    const { data: file } = await octokit.rest.repos.getContent({ owner: 'acme', repo: 'app', path: 'src/feature.ts', ref: 'ai/ENG-1' });
    expect(Array.isArray(file) ? undefined : Buffer.from((file as { content: string }).content, 'base64').toString()).toBe(
      'export const feature = 1;\n',
    );

    const { data: branch } = await octokit.rest.repos.getBranch({ owner: 'acme', repo: 'app', branch: 'ai/ENG-1' });
    expect(branch.commit.sha).toBe(put.commit.sha);

    const { data: pull } = await octokit.rest.pulls.create({
      owner: 'acme',
      repo: 'app',
      head: 'ai/ENG-1',
      base: 'main',
      title: 'ENG-1: feature',
      body: '<!-- ai-implement:ENG-1 -->',
    });
    expect(pull.number).toBe(1);
    expect(pull.head.ref).toBe('ai/ENG-1');
    expect(pull.head.sha).toBe(put.commit.sha);
    expect(pull.base.ref).toBe('main');
    expect(pull.user?.login).toBe('ai-implement[bot]');
    expect(pull.html_url).toContain('/acme/app/pull/1');

    const { data: found } = await octokit.rest.pulls.list({ owner: 'acme', repo: 'app', head: 'acme:ai/ENG-1', state: 'open' });
    expect(found.map((p) => p.number)).toEqual([1]);
    const { data: none } = await octokit.rest.pulls.list({ owner: 'acme', repo: 'app', head: 'acme:other', state: 'all' });
    expect(none).toEqual([]);

    const { data: comment } = await octokit.rest.issues.createComment({ owner: 'acme', repo: 'app', issue_number: 1, body: 'Working on it' });
    await octokit.rest.issues.updateComment({ owner: 'acme', repo: 'app', comment_id: comment.id, body: 'Done' });
    const { data: comments } = await octokit.rest.issues.listComments({ owner: 'acme', repo: 'app', issue_number: 1 });
    expect(comments.map((c) => c.body)).toEqual(['Done']);

    const { status: reacted } = await octokit.rest.reactions.createForIssueComment({ owner: 'acme', repo: 'app', comment_id: comment.id, content: 'rocket' });
    expect(reacted).toBe(201);
    const { status: again } = await octokit.rest.reactions.createForIssueComment({ owner: 'acme', repo: 'app', comment_id: comment.id, content: 'rocket' });
    expect(again).toBe(200);
    const { data: reread } = await octokit.rest.issues.getComment({ owner: 'acme', repo: 'app', comment_id: comment.id });
    expect(reread.reactions?.rocket).toBe(1);

    const { data: alice } = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner: 'acme', repo: 'app', username: 'alice' });
    expect(alice.permission).toBe('write');
    expect(alice.role_name).toBe('maintain');
    const { data: mallory } = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner: 'acme', repo: 'app', username: 'mallory' });
    expect(mallory.permission).toBe('none');

    await octokit.rest.pulls.update({ owner: 'acme', repo: 'app', pull_number: 1, title: 'ENG-1: feature (ready)' });
    await octokit.rest.pulls.merge({ owner: 'acme', repo: 'app', pull_number: 1 });
    const { data: merged } = await octokit.rest.pulls.get({ owner: 'acme', repo: 'app', pull_number: 1 });
    expect(merged.merged).toBe(true);
    expect(merged.merged_at).not.toBeNull();
    expect(merged.state).toBe('closed');
    expect(merged.title).toBe('ENG-1: feature (ready)');
    expect(github.state.readFile('acme', 'app', 'src/feature.ts', 'main')).toBe('export const feature = 1;\n');
  });

  it('dispatches a workflow with return_run_details and finds the run by its run-name', async () => {
    const app = createTestProbot({ appId: github.appId, privateKey: github.privateKeyPem, baseUrl });
    const octokit = await app.auth(installationId);
    const dispatched = await octokit.request('POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches', {
      owner: 'acme',
      repo: 'app',
      workflow_id: 'ai-implement.yml',
      ref: 'main',
      inputs: { run_id: 'run_abc123', ticket: 'ENG-1' },
      return_run_details: true,
    });
    expect(dispatched.status).toBe(200);
    const details = dispatched.data as unknown as { workflow_run_id: number; run_url: string; html_url: string };
    expect(details.run_url).toContain(`/actions/runs/${details.workflow_run_id}`);

    const plain = await octokit.rest.actions.createWorkflowDispatch({
      owner: 'acme',
      repo: 'app',
      workflow_id: 'ai-implement.yml',
      ref: 'main',
      inputs: { run_id: 'run_other' },
    });
    expect(plain.status).toBe(204);

    const { data: listed } = await octokit.rest.actions.listWorkflowRunsForRepo({ owner: 'acme', repo: 'app', event: 'workflow_dispatch', status: 'queued', per_page: 50 });
    expect(listed.total_count).toBe(2);
    const mine = listed.workflow_runs.find((r) => r.display_title.includes('run_abc123'));
    expect(mine?.id).toBe(details.workflow_run_id);
    expect(mine?.name).toBe('AI-Implement');
    expect(mine?.display_title).toBe('AI-Implement run_abc123');
    expect(mine?.status).toBe('queued');

    github.state.setRunStatus(details.workflow_run_id, 'completed', 'success');
    const { data: run } = await octokit.rest.actions.getWorkflowRun({ owner: 'acme', repo: 'app', run_id: details.workflow_run_id });
    expect(run.status).toBe('completed');
    expect(run.conclusion).toBe('success');
    const { data: successes } = await octokit.rest.actions.listWorkflowRunsForRepo({ owner: 'acme', repo: 'app', status: 'success' });
    expect(successes.workflow_runs.map((r) => r.id)).toEqual([details.workflow_run_id]);
  });
});
