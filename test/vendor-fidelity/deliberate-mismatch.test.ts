import { Octokit } from '@octokit/rest';
import { afterEach, describe, expect, it } from 'vitest';
import { createFlyBackend } from '../../src/runners/fly/create-fly-backend.js';
import { FlyEmulator } from '../../src/sandbox/fly/index.js';
import { GitHubEmulator } from '../../src/sandbox/github/index.js';
import { JiraEmulator } from '../../src/sandbox/jira/index.js';
import { LinearEmulator } from '../../src/sandbox/linear/index.js';
import { createJiraAdmin } from '../../src/trackers/jira/index.js';
import { createLinearTracker } from '../../src/trackers/linear/index.js';
import { testMapping } from '../runners/support/runner-fixtures.js';
import type { TrafficAudit } from '../support/vendor-fidelity/traffic-audit.js';
import { auditFly, auditGitHub, auditJira, auditLinear, expectTrueToVendor } from '../support/vendor-fidelity/vendor-audits.js';

/**
 * The checks catch a wrong answer: each test puts a value of the wrong type
 * into one emulator's state, lets our real client read it over loopback, and
 * expects the audit to name the operation and the field.
 */
describe('a deliberately wrong emulator answer fails the vendor check', () => {
  const stops: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.all(stops.splice(0).map((stop) => stop()));
  });

  const expectCaught = (audit: TrafficAudit, vendor: string, line: RegExp): void => {
    expect(audit.mismatches.some((m) => line.test(m)), audit.mismatches.join('\n')).toBe(true);
    expect(() => expectTrueToVendor(audit, vendor)).toThrow(line);
  };

  it('GitHub: a repository whose default_branch is a number', async () => {
    const github = new GitHubEmulator();
    const audit = auditGitHub(github.server);
    await github.start();
    stops.push(() => github.stop());
    const installation = github.state.addInstallation({ account: 'acme' });
    const repo = github.state.addRepo({ owner: 'acme', name: 'app' });
    const octokit = new Octokit({ auth: github.issueToken(installation.id).token, baseUrl: github.gheBaseUrl });

    await octokit.rest.repos.get({ owner: 'acme', repo: 'app' });
    expect(audit.mismatches).toEqual([]);
    (repo as { defaultBranch: unknown }).defaultBranch = 7;
    await octokit.rest.repos.get({ owner: 'acme', repo: 'app' });
    expectCaught(audit, 'GitHub', /^repos\/get \(GET \/repos\/\{owner\}\/\{repo\}\) response: body\.default_branch is the integer 7, expected string$/m);
  });

  it('Linear: a workflow state whose name (String!) is a number', async () => {
    const linear = new LinearEmulator({ apiKey: 'lin_api_wrong' });
    const audit = auditLinear(linear.server);
    await linear.start();
    stops.push(() => linear.stop());
    linear.store.addTeam({ key: 'ENG' });
    const issue = linear.store.addIssue({ team: 'ENG', title: 'Right', labels: ['AI-Implement'] });
    const tracker = createLinearTracker({ apiKey: 'lin_api_wrong', apiUrl: linear.apiUrl });
    const scopes = [{ mappingKey: 'eng', kind: 'linear' as const, teamKey: 'ENG' }];

    await tracker.listCandidates(scopes);
    expect(audit.mismatches).toEqual([]);
    (linear.stateOf(issue.identifier) as { name: unknown }).name = 7;
    await tracker.listCandidates(scopes).catch(() => undefined);
    expectCaught(audit, 'Linear', /^query TrackerCandidates response: data\.issues\.nodes\[\]\.state\.name is the number 7, not a string \(String!\)$/m);
  });

  it('Jira: a field whose name is a number', async () => {
    const jira = new JiraEmulator();
    const audit = auditJira(jira.server);
    const host = await jira.start();
    stops.push(() => jira.stop());
    const admin = createJiraAdmin({ host, email: jira.email, apiToken: jira.apiToken });

    await admin.listFields();
    expect(audit.mismatches).toEqual([]);
    (jira.store.site.customFields[0] as { name: unknown }).name = 5;
    await admin.listFields().catch(() => undefined);
    expectCaught(audit, 'Jira', /^getFields \(GET \/rest\/api\/3\/field\) response: body\[\]\.name is the integer 5, expected string$/m);
  });

  it('Fly: a machine whose region is a number', async () => {
    const fly = new FlyEmulator({ token: 'fly-wrong', apps: ['sessions'] });
    const audit = auditFly(fly.server);
    await fly.start();
    stops.push(() => fly.stop());
    const backend = createFlyBackend({ client: { token: 'fly-wrong', apiUrl: fly.apiUrl, graphqlUrl: fly.graphqlUrl }, app: () => 'sessions', image: 'registry.fly.io/runner:1' });
    const machine = fly.state.addMachine({ app: 'sessions', name: 'run-r1', region: 'ams', config: { image: 'registry.fly.io/runner:1', guest: { cpu_kind: 'shared', cpus: 1, memory_mb: 256 }, env: {}, metadata: { ai_implement_run_id: 'r1' }, auto_destroy: true, restart: { policy: 'no' } } });

    await backend.find('r1', testMapping());
    expect(audit.mismatches).toEqual([]);
    (machine as { region: unknown }).region = 42;
    await backend.find('r1', testMapping()).catch(() => undefined);
    expectCaught(audit, 'Fly Machines', /^Machines_list \(GET \/apps\/\{app_name\}\/machines\) response: body\[\]\.region is the integer 42, expected string$/m);
  });

  it('Fly: a request with include_deleted= (empty, not a boolean) is caught on the request side and refused by the emulator', async () => {
    const fly = new FlyEmulator({ token: 'fly-wrong', apps: ['sessions'] });
    const audit = auditFly(fly.server);
    await fly.start();
    stops.push(() => fly.stop());
    const response = await fetch(`${fly.apiUrl}/v1/apps/sessions/machines?include_deleted=`, { headers: { authorization: 'Bearer fly-wrong' } });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(/include_deleted must be a boolean/);
    expectCaught(audit, 'Fly Machines', /^Machines_list \(GET \/apps\/\{app_name\}\/machines\) request: query\.include_deleted is "", not a boolean$/m);
  });
});
