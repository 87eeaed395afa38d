import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPullRequest, ensurePullComment, findPullRequest, updatePullRequestBody, type GitHubTarget } from '../../src/runner/github-pulls.js';
import { createFlyAppClient } from '../../src/runners/fly/create-fly-app-client.js';
import { FlyEmulator } from '../../src/sandbox/fly/index.js';
import { GitHubEmulator } from '../../src/sandbox/github/index.js';
import { JiraEmulator } from '../../src/sandbox/jira/index.js';
import { createJiraAdmin } from '../../src/trackers/jira/index.js';
import { auditFly, auditGitHub, auditJira, expectTrueToVendor } from '../support/vendor-fidelity/vendor-audits.js';

/**
 * The client calls no flow test reaches often enough to trust: the runner's
 * PR edits, the Jira admin lookups behind the Projects panel, and the Fly
 * sessions client, each against its emulator with every exchange checked.
 */
describe('runner pull-request calls (GitHub Enterprise prefix)', () => {
  const github = new GitHubEmulator();
  const audit = auditGitHub(github.server);
  let target: GitHubTarget;

  beforeAll(async () => {
    await github.start();
    const repo = github.state.addRepo({ owner: 'acme', name: 'app' });
    github.state.setFile('acme', 'app', 'ai/eng-1', 'notes.md', '# notes\n');
    target = { apiUrl: github.gheBaseUrl, token: github.issueToken(repo.installationId).token, owner: 'acme', repo: 'app' };
  });
  afterAll(async () => {
    await github.stop();
    expectTrueToVendor(audit, 'GitHub');
  });

  it('opens, finds, edits and comments on a pull request', async () => {
    const opened = await createPullRequest(target, { title: 'ENG-1: notes', body: 'Adds notes.', head: 'ai/eng-1', base: 'main' });
    expect((await findPullRequest(target, 'ai/eng-1'))?.number).toBe(opened.number);
    expect((await findPullRequest(target, 'ai/eng-1', opened.number))?.url).toBe(opened.url);
    await updatePullRequestBody(target, opened.number, 'Adds notes.\n\nFor ENG-1.');
    const first = await ensurePullComment(target, opened.number, '<!-- review -->', 'Looks fine.');
    expect(await ensurePullComment(target, opened.number, '<!-- review -->', 'Still fine.')).toMatchObject({ id: first.id });
    expect(audit.operations.size).toBeGreaterThanOrEqual(6);
  });
});

describe('Jira admin lookups', () => {
  const jira = new JiraEmulator({ repoFieldType: 'select', repoOptions: ['acme/app', 'acme/api'] });
  const audit = auditJira(jira.server);
  let admin: ReturnType<typeof createJiraAdmin>;

  beforeAll(async () => {
    const host = await jira.start();
    jira.store.addProject('OPS');
    admin = createJiraAdmin({ host, email: jira.email, apiToken: jira.apiToken });
  });
  afterAll(async () => {
    await jira.stop();
    expectTrueToVendor(audit, 'Jira');
  });

  it('validates JQL, lists fields and a select field’s options', async () => {
    expect((await admin.validateJql('project = OPS')).valid).toBe(true);
    expect((await admin.validateJql('project = = OPS')).valid).toBe(false);
    const repoField = (await admin.listFields()).find((f) => f.name === 'AI-Implement Repo');
    expect(repoField).toBeDefined();
    const options = await admin.fieldOptions(repoField!.id);
    expect(options.map((o) => o.value).sort()).toEqual(['acme/api', 'acme/app']);
  });
});

describe('Fly sessions client', () => {
  const fly = new FlyEmulator({ token: 'fly-sessions', apps: ['sessions'] });
  const audit = auditFly(fly.server);
  let client: ReturnType<typeof createFlyAppClient>;

  beforeAll(async () => {
    await fly.start();
    client = createFlyAppClient({ client: { token: 'fly-sessions', apiUrl: fly.apiUrl, graphqlUrl: fly.graphqlUrl }, app: () => 'sessions' });
  });
  afterAll(async () => {
    await fly.stop();
    expectTrueToVendor(audit, 'Fly Machines');
  });

  it('lists, gets and force-destroys a running machine', async () => {
    const machine = fly.state.addMachine({
      app: 'sessions',
      name: 'run-r9',
      region: 'ams',
      config: { image: 'registry.fly.io/runner:1', guest: { cpu_kind: 'shared', cpus: 1, memory_mb: 256 }, env: {}, metadata: { ai_implement_run_id: 'r9' }, auto_destroy: false, restart: { policy: 'no' } },
    });
    fly.state.setMachineState('sessions', machine.id, 'started');
    expect((await client.listMachines()).map((m) => m.id)).toEqual([machine.id]);
    expect((await client.getMachine(machine.id))?.metadata).toEqual({ ai_implement_run_id: 'r9' });
    expect(await client.getMachine('nope')).toBeUndefined();
    await client.destroyMachine(machine.id);
    expect(fly.state.machines.get(machine.id)?.state).toBe('destroyed');
  });
});
