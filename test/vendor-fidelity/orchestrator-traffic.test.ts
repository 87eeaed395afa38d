import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type OrchestratorHarness } from '../support/orchestrator-harness.js';
import type { TrafficAudit } from '../support/vendor-fidelity/traffic-audit.js';
import { auditFly, auditGitHub, auditJira, auditLinear, expectTrueToVendor } from '../support/vendor-fidelity/vendor-audits.js';

/**
 * The whole orchestrator (Probot on GitHub's `/api/v3` prefix, the Linear and
 * Jira trackers, the Actions and Fly backends, a local runner CLI that clones,
 * pushes and opens its PR) against the four emulators, with every exchange
 * checked against the vendor's own description of its API.
 */
describe('orchestrator traffic true to the vendors’ descriptions', () => {
  let h: OrchestratorHarness;
  let audits: Record<'GitHub' | 'Linear' | 'Jira' | 'Fly Machines', TrafficAudit>;

  beforeAll(async () => {
    h = await startHarness();
    audits = { GitHub: auditGitHub(h.github.server), Linear: auditLinear(h.linear.server), Jira: auditJira(h.jira.server), 'Fly Machines': auditFly(h.fly.server) };
    for (const name of ['gha-app', 'fly-app', 'local-app', 'jira-app']) {
      h.github.state.addRepo({ owner: 'acme', name, defaultBranch: 'main', files: { 'README.md': '# app\n' } });
      h.github.state.addWorkflow('acme', name, {
        file: 'claude-implement.yml',
        name: 'AI-Implement',
        runName: 'AI-Implement ${{ inputs.run_id }}',
        inputs: { run_id: { required: true }, orchestrator_url: { required: true } },
      });
    }
    for (const key of ['GHA', 'FLY', 'LOC']) h.linear.store.addTeam({ key });
    h.linear.store.addLabel({ name: 'AI-Implement', team: null });
    h.jira.store.addProject('OPS');
    await h.addMapping({ teamKey: 'GHA', owner: 'acme', repo: 'gha-app', defaultBranch: 'main', executionMode: 'github-actions' });
    await h.addMapping({ teamKey: 'FLY', owner: 'acme', repo: 'fly-app', defaultBranch: 'main', executionMode: 'fly-machines' });
    await h.addMapping({ teamKey: 'LOC', owner: 'acme', repo: 'local-app', defaultBranch: 'main', executionMode: 'local', agentRuntime: 'demo' });
    await h.addMapping({ teamKey: 'OPS', trackerKind: 'jira', jira: { jql: 'project = OPS', repoFieldValue: 'acme/jira-app' }, owner: 'acme', repo: 'jira-app', defaultBranch: 'main' });
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('dispatches Linear tickets to Actions, Fly and a local runner, and a Jira ticket, then settles the local run with its PR', async () => {
    const gha = h.linear.store.addIssue({ team: 'GHA', title: 'Add dark mode', labels: ['AI-Implement'] });
    const fly = h.linear.store.addIssue({ team: 'FLY', title: 'Speed up search', labels: ['AI-Implement'] });
    const local = h.linear.store.addIssue({ team: 'LOC', title: 'Fix typo', labels: ['AI-Implement'] });
    const ticket = h.jira.store.addIssue({ project: 'OPS', summary: 'Log requests', custom: { 'AI-Implement Status': 'Ready', 'AI-Implement Repo': 'acme/jira-app' } });
    await h.cycle();
    for (const identifier of [gha.identifier, fly.identifier, local.identifier, ticket.key]) expect(await h.runsOf(identifier), identifier).toHaveLength(1);
    const [run] = await h.runsOf(local.identifier);
    const finished = await h.waitForTerminal(run!.id);
    expect(finished).toMatchObject({ status: 'pr_opened', prNumber: expect.any(Number) });
    // A later cycle looks the dispatched runs up upstream (Actions runs, Fly machines).
    await h.cycle();
  });

  it('finds no difference between the emulators’ answers (and our requests) and the vendors’ descriptions', () => {
    for (const [vendor, audit] of Object.entries(audits)) {
      expect(audit.exchanges, `${vendor} exchanges seen`).toBeGreaterThan(0);
      expectTrueToVendor(audit, vendor);
    }
  });
});
