import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Version3Client } from 'jira.js';
import { FlyEmulator } from '../../src/sandbox/fly/index.js';
import { GitHubEmulator } from '../../src/sandbox/github/index.js';
import { JiraEmulator } from '../../src/sandbox/jira/index.js';
import { createFlyClient } from '../sandbox/fly/create-fly-client.js';
import { auditFly, auditGitHub, auditJira, expectTrueToVendor } from '../support/vendor-fidelity/vendor-audits.js';

/**
 * The emulators' routes our adapters do not call today (the flow tests cover
 * those), driven through the vendors' SDKs, so every route an emulator
 * serves answers in the shape the vendor's description gives.
 */
describe('every GitHub emulator REST route against GitHub’s description', () => {
  const github = new GitHubEmulator();
  const audit = auditGitHub(github.server);
  let app: Octokit;
  let octokit: Octokit;
  const repo = { owner: 'acme', repo: 'app' };

  beforeAll(async () => {
    await github.start();
    const installation = github.state.addInstallation({ account: 'acme' });
    github.state.addRepo({ owner: 'acme', name: 'app', files: { 'README.md': '# app\n' } });
    github.state.addWorkflow('acme', 'app', { file: 'ci.yml', name: 'CI', runName: 'CI ${{ inputs.run_id }}', inputs: { run_id: { required: true } } });
    octokit = new Octokit({ auth: github.issueToken(installation.id).token, baseUrl: github.url });
    const { createAppAuth } = await import('@octokit/auth-app');
    app = new Octokit({ authStrategy: createAppAuth, auth: { appId: github.appId, privateKey: github.privateKeyPem }, baseUrl: github.url });
  });
  afterAll(async () => {
    await github.stop();
    expectTrueToVendor(audit, 'GitHub');
  });

  it('answers the App, Actions, refs, pulls, comments and reactions routes as GitHub describes them', async () => {
    const { data: installation } = await app.rest.apps.getOrgInstallation({ org: 'acme' });
    await app.rest.apps.getInstallation({ installation_id: installation.id });

    const { data: workflows } = await octokit.rest.actions.listRepoWorkflows(repo);
    const workflowId = workflows.workflows[0]!.id;
    await octokit.rest.actions.getWorkflow({ ...repo, workflow_id: workflowId });
    await octokit.rest.actions.createWorkflowDispatch({ ...repo, workflow_id: 'ci.yml', ref: 'main', inputs: { run_id: 'r1' } });
    const { data: runs } = await octokit.rest.actions.listWorkflowRuns({ ...repo, workflow_id: 'ci.yml' });
    await octokit.rest.actions.forceCancelWorkflowRun({ ...repo, run_id: runs.workflow_runs[0]!.id });

    const { data: main } = await octokit.rest.git.getRef({ ...repo, ref: 'heads/main' });
    await octokit.rest.git.createRef({ ...repo, ref: 'refs/heads/feature', sha: main.object.sha });
    await octokit.rest.git.listMatchingRefs({ ...repo, ref: 'heads/feat' });
    await octokit.rest.repos.getBranch({ ...repo, branch: 'feature' });
    github.state.setFile('acme', 'app', 'feature', 'notes.md', '# notes\n');
    const { data: pull } = await octokit.rest.pulls.create({ ...repo, title: 'Notes', head: 'feature', base: 'main' });
    await octokit.rest.pulls.list({ ...repo, state: 'all' });

    const { data: comment } = await octokit.rest.issues.createComment({ ...repo, issue_number: pull.number, body: 'hello' });
    await octokit.rest.reactions.createForIssueComment({ ...repo, comment_id: comment.id, content: 'eyes' });
    await octokit.rest.reactions.listForIssueComment({ ...repo, comment_id: comment.id });
    await octokit.rest.issues.deleteComment({ ...repo, comment_id: comment.id });
    const review = github.state.addReviewComment('acme', 'app', pull.number, 'Use a constant here.');
    await octokit.rest.pulls.getReviewComment({ ...repo, comment_id: review.id });
    await octokit.rest.reactions.createForPullRequestReviewComment({ ...repo, comment_id: review.id, content: '+1' });
    await octokit.rest.reactions.listForPullRequestReviewComment({ ...repo, comment_id: review.id });

    await octokit.rest.pulls.checkIfMerged({ ...repo, pull_number: pull.number }).catch((error: { status?: number }) => expect(error.status).toBe(404));
    await octokit.rest.pulls.merge({ ...repo, pull_number: pull.number });
    await octokit.rest.pulls.checkIfMerged({ ...repo, pull_number: pull.number });
    await octokit.rest.git.deleteRef({ ...repo, ref: 'heads/feature' });

    expect(audit.operations.size).toBeGreaterThanOrEqual(20);
  });

  it('registers an App from a manifest and answers apps/create-from-manifest and the new App’s GET /app as GitHub describes them', async () => {
    const manifest = { name: 'Fidelity App', url: 'https://example.test', hook_attributes: { url: 'https://example.test/hook' }, redirect_url: 'http://127.0.0.1:9/back', default_permissions: { issues: 'write' }, default_events: ['issues'] };
    // The person's side: the form the manifest is posted to, then "Create GitHub App".
    const created = await fetch(`${github.url}/settings/apps/new?state=s1`, { method: 'POST', body: new URLSearchParams({ manifest: JSON.stringify(manifest), name: manifest.name, state: 's1', confirm: '1' }), redirect: 'manual' });
    const back = new URL(created.headers.get('location') ?? '');
    expect(back.searchParams.get('state')).toBe('s1');
    const { data } = await octokit.rest.apps.createFromManifest({ code: back.searchParams.get('code') ?? '' });
    expect(data).toMatchObject({ name: 'Fidelity App', permissions: { issues: 'write', metadata: 'read' }, events: ['issues'] });
    await expect(octokit.rest.apps.createFromManifest({ code: back.searchParams.get('code') ?? '' })).rejects.toMatchObject({ status: 404 });
    const { createAppAuth } = await import('@octokit/auth-app');
    const asNewApp = new Octokit({ authStrategy: createAppAuth, auth: { appId: data.id, privateKey: data.pem }, baseUrl: github.url });
    expect((await asNewApp.rest.apps.getAuthenticated()).data).toMatchObject({ id: data.id, slug: data.slug });
    expect([...audit.operations.keys()]).toContain('apps/create-from-manifest (POST /app-manifests/{code}/conversions)');
  });
});

describe('the Fly emulator’s app and machine lifecycle routes against the Machines API reference', () => {
  const fly = new FlyEmulator({ token: 'fly-routes', apps: ['sessions'], startDelayMs: 10 });
  const audit = auditFly(fly.server);

  beforeAll(() => fly.start());
  afterAll(async () => {
    await fly.stop();
    expectTrueToVendor(audit, 'Fly Machines');
  });

  it('creates, lists, reads and deletes an app, and starts, waits for and lists the events of a machine', async () => {
    const client = createFlyClient('fly-routes', fly.apiUrl);
    await client.App.createApp({ app_name: 'scratch', org_slug: 'personal' });
    await client.App.listApps('personal');
    await client.App.getApp('scratch');
    await client.App.deleteApp('scratch');
    const machine = await client.Machine.createMachine({ app_name: 'sessions', config: { image: 'registry.fly.io/runner:1', auto_destroy: false }, skip_launch: true } as never);
    await client.Machine.startMachine({ app_name: 'sessions', machine_id: machine.id });
    await client.Machine.waitMachine({ app_name: 'sessions', machine_id: machine.id, state: 'started' as never, timeout: '5s' } as never);
    await client.Machine.listEvents({ app_name: 'sessions', machine_id: machine.id });
    await client.Machine.stopMachine({ app_name: 'sessions', machine_id: machine.id });
    expect(audit.operations.size).toBeGreaterThanOrEqual(8);
  });
});

describe('the Jira emulator’s remaining routes against Jira’s description', () => {
  const jira = new JiraEmulator();
  const audit = auditJira(jira.server);
  let client: Version3Client;

  beforeAll(async () => {
    const host = await jira.start();
    jira.store.addProject('OPS');
    client = new Version3Client({ host, authentication: { basic: { email: jira.email, apiToken: jira.apiToken } } });
  });
  afterAll(async () => {
    await jira.stop();
    expectTrueToVendor(audit, 'Jira');
  });

  it('reads one comment, the server info, the caller and the projects', async () => {
    const key = jira.store.addIssue({ project: 'OPS', summary: 'Routes' }).key;
    const comment = await client.issueComments.addComment({ issueIdOrKey: key, comment: { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: 'hi' }] }] } });
    await client.issueComments.getComment({ issueIdOrKey: key, id: String(comment.id) });
    await client.serverInfo.getServerInfo();
    await client.myself.getCurrentUser();
    await client.issueSearch.searchForIssuesUsingJqlEnhancedSearch({ jql: 'project = OPS', fields: ['summary'] });
    await client.projects.searchProjects({ maxResults: 10 });
    expect(audit.operations.size).toBeGreaterThanOrEqual(6);
  });
});
