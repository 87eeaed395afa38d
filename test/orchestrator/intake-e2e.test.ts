import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, SECRETS, type OrchestratorHarness } from '../support/orchestrator-harness.js';

const repoFiles = { 'README.md': '# app\n' };

describe('intake and dispatch end to end (real SDKs against the emulators)', () => {
  let h: OrchestratorHarness;

  beforeAll(async () => {
    h = await startHarness();
    const { github, linear, jira } = h;
    for (const name of ['gha-app', 'fly-app', 'local-app', 'jira-app', 'cap-app']) {
      github.state.addRepo({ owner: 'acme', name, defaultBranch: 'main', files: repoFiles });
      github.state.addWorkflow('acme', name, {
        file: 'claude-implement.yml',
        name: 'AI-Implement',
        runName: 'AI-Implement ${{ inputs.run_id }}',
        inputs: { run_id: { required: true }, orchestrator_url: { required: true } },
      });
    }
    for (const key of ['GHA', 'FLY', 'LOC', 'CAP', 'PAU', 'DEP', 'NOM']) linear.store.addTeam({ key });
    linear.store.addLabel({ name: 'AI-Implement', team: null });
    jira.store.addProject('OPS');
    await h.addMapping({ teamKey: 'GHA', owner: 'acme', repo: 'gha-app', defaultBranch: 'main', executionMode: 'github-actions' });
    await h.addMapping({ teamKey: 'FLY', owner: 'acme', repo: 'fly-app', defaultBranch: 'main', executionMode: 'fly-machines', machine: { cpus: 4, memoryMb: 8192 } });
    await h.addMapping({ teamKey: 'LOC', owner: 'acme', repo: 'local-app', defaultBranch: 'main', executionMode: 'local', agentRuntime: 'demo' });
    await h.addMapping({ teamKey: 'CAP', owner: 'acme', repo: 'cap-app', defaultBranch: 'main', maxInProgressAiIssues: 1 });
    await h.addMapping({ teamKey: 'PAU', owner: 'acme', repo: 'cap-app', defaultBranch: 'main', paused: true });
    await h.addMapping({ teamKey: 'DEP', owner: 'acme', repo: 'cap-app', defaultBranch: 'main' });
    await h.addMapping({ teamKey: 'OPS', trackerKind: 'jira', jira: { jql: 'project = OPS', repoFieldValue: 'acme/jira-app' }, owner: 'acme', repo: 'jira-app', defaultBranch: 'main' });
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('dispatches a labelled Linear ticket to GitHub Actions with only the run id and URL as inputs', async () => {
    const issue = h.linear.store.addIssue({ team: 'GHA', title: 'Add dark mode', description: 'secret plans', labels: ['AI-Implement'] });
    await h.cycle();
    const [run] = await h.runsOf(issue.identifier);
    expect(run).toMatchObject({ backend: 'github-actions', status: 'launching', dispatchNumber: 1, triggerSource: 'poll' });
    const upstream = h.github.state.run(Number(run!.upstreamId));
    expect(upstream?.displayTitle).toContain(run!.id);
    const dispatches = h.github.server.requestsTo('POST', '/actions/workflows/claude-implement.yml/dispatches');
    const inputs = (dispatches.at(-1)?.body as { inputs: Record<string, string> }).inputs;
    expect(Object.keys(inputs).sort()).toEqual(['orchestrator_url', 'run_id']);
    expect(JSON.stringify(inputs)).not.toContain('secret plans');
    // The ticket shows the run: In Progress, AI-Working, one comment linking it.
    expect(h.linear.stateOf(issue.identifier).name).toBe('In Progress');
    expect(h.linear.labelNames(issue.identifier)).toContain('AI-Working');
    expect(h.linear.commentsOn(issue.identifier).map((c) => c.body).join('\n')).toContain(run!.id);
    // A second cycle changes nothing.
    await h.cycle();
    expect(await h.runsOf(issue.identifier)).toHaveLength(1);
  });

  it('dispatches to a Fly machine named after the run with the mapping’s size', async () => {
    const issue = h.linear.store.addIssue({ team: 'FLY', title: 'Speed up search', labels: ['AI-Implement'] });
    await h.cycle();
    const [run] = await h.runsOf(issue.identifier);
    expect(run).toMatchObject({ backend: 'fly-machines', status: 'launching' });
    const machine = h.fly.state.machinesOf('ai-implement-sessions').find((m) => m.name === `run-${run!.id}`);
    expect(machine?.config.guest).toMatchObject({ cpus: 4, memory_mb: 8192 });
    expect(machine?.config.auto_destroy).toBe(true);
    expect(machine?.config.metadata).toMatchObject({ ai_implement_run_id: run!.id, ai_implement_mapping: 'FLY' });
  });

  it('dispatches to a local runner process that reports back', async () => {
    const issue = h.linear.store.addIssue({ team: 'LOC', title: 'Fix typo', labels: ['AI-Implement'] });
    await h.cycle();
    const [run] = await h.runsOf(issue.identifier);
    expect(run?.backend).toBe('local');
    expect(run?.upstreamId).toMatch(new RegExp(`^local-\\d+-${run!.id}$`));
    // The runner CLI started, fetched its job with its own token, cloned over git HTTP from the GitHub
    // emulator, let the demo agent change a file, pushed the branch, opened a PR and reported the result.
    const finished = await h.waitForTerminal(run!.id);
    expect(finished).toMatchObject({ status: 'pr_opened', prNumber: expect.any(Number) });
    const repo = h.github.state.requireRepo('acme', 'local-app');
    const pull = h.github.state.pulls.find((p) => p.repoId === repo.id && p.number === finished.prNumber);
    expect(pull?.headRef).toBe(finished.branch);
    expect(h.github.state.readFile('acme', 'local-app', `ai-implement/${issue.identifier}.md`, finished.branch)).toContain(`# ${issue.identifier}: Fix typo`);
  });

  it('dispatches a Jira ticket that matches its mapping’s JQL and repo field', async () => {
    const ticket = h.jira.store.addIssue({ project: 'OPS', summary: 'Log requests', custom: { 'AI-Implement Status': 'Ready', 'AI-Implement Repo': 'acme/jira-app' } });
    h.jira.store.addIssue({ project: 'OPS', summary: 'Other repo', custom: { 'AI-Implement Status': 'Ready', 'AI-Implement Repo': 'acme/elsewhere' } });
    await h.cycle();
    const runs = await h.runsOf(ticket.key);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ tracker: 'jira', mappingKey: 'OPS', status: 'launching' });
    expect(h.jira.customValue(ticket.key, 'AI-Implement Status')).toBe('Implementing');
    expect(h.jira.statusOf(ticket.key)).toBe('In Progress');
  });

  it('blocks by cap, pause, dependency and missing mapping, with no run for any of them', async () => {
    const first = h.linear.store.addIssue({ team: 'CAP', title: 'Cap one', labels: ['AI-Implement'], createdAt: '2020-01-01T00:00:00Z' });
    const second = h.linear.store.addIssue({ team: 'CAP', title: 'Cap two', labels: ['AI-Implement'] });
    const paused = h.linear.store.addIssue({ team: 'PAU', title: 'Paused', labels: ['AI-Implement'] });
    const blocker = h.linear.store.addIssue({ team: 'DEP', title: 'Blocker (not labelled)' });
    const blocked = h.linear.store.addIssue({ team: 'DEP', title: 'Blocked', labels: ['AI-Implement'] });
    h.linear.store.addBlocksRelation(blocker.identifier, blocked.identifier);
    const unmapped = h.linear.store.addIssue({ team: 'NOM', title: 'Nobody maps me', labels: ['AI-Implement'] });
    const result = await h.cycle();
    const reasons = Object.fromEntries(result.plan.blockers.map((b) => [b.identifier, b.reason]));
    expect(reasons).toMatchObject({
      [second.identifier]: 'concurrency',
      [paused.identifier]: 'paused',
      [blocked.identifier]: 'blocked-by-dependency',
      [unmapped.identifier]: 'no-mapping',
    });
    expect(await h.runsOf(first.identifier)).toHaveLength(1);
    for (const issue of [second, paused, blocked, unmapped]) expect(await h.runsOf(issue.identifier)).toHaveLength(0);
  });

  it('holds a dispatched ticket in the dedup window until it expires, then re-dispatches with the next number', async () => {
    const issue = h.linear.store.addIssue({ team: 'GHA', title: 'Dedup me', labels: ['AI-Implement'] });
    await h.cycle();
    const [run] = await h.runsOf(issue.identifier);
    // The run ends without a PR (say an operator cancelled it); the ticket is still labelled.
    await h.orchestrator.store.runs.updateRun(run!.id, { status: 'cancelled', finishedAt: new Date().toISOString() });
    const held = await h.cycle();
    expect(held.plan.blockers.find((b) => b.identifier === issue.identifier)?.reason).toBe('dedup');
    expect(await h.runsOf(issue.identifier)).toHaveLength(1);
    h.advance(24 * 3_600_000 + 60_000);
    await h.cycle();
    const runs = await h.runsOf(issue.identifier);
    expect(runs).toHaveLength(2);
    expect(runs.map((r) => r.dispatchNumber).sort()).toEqual([1, 2]);
  });

  it('retries a failing ticket with back-off, then marks it needs-human and reports retry-limit', async () => {
    // claude-code without credentials fails in the runner before any model call.
    await h.addMapping({ teamKey: 'LOC', owner: 'acme', repo: 'local-app', defaultBranch: 'main', executionMode: 'local', agentRuntime: 'claude-code' });
    const issue = h.linear.store.addIssue({ team: 'LOC', title: 'Always fails', labels: ['AI-Implement'] });
    for (let attempt = 1; attempt <= 3; attempt++) {
      await h.cycle();
      const runs = await h.runsOf(issue.identifier);
      expect(runs).toHaveLength(attempt);
      const latest = runs.sort((a, b) => b.dispatchNumber - a.dispatchNumber)[0]!;
      expect(latest.dispatchNumber).toBe(attempt);
      expect((await h.waitForTerminal(latest.id)).status).toBe('failed');
      // The retry accounting runs right after the result is recorded.
      for (let i = 0; (await h.orchestrator.store.dedup.get(issue.id))?.failures !== attempt; i++) {
        expect(i, 'failure counted within 5 s').toBeLessThan(250);
        await new Promise((r) => setTimeout(r, 20));
      }
      if (attempt < 3) {
        // Inside the back-off nothing starts.
        expect((await h.cycle()).plan.blockers.find((b) => b.identifier === issue.identifier)?.reason).toBe('dedup');
        h.advance(3 * 3_600_000);
      }
    }
    // The retry accounting runs right after the result is recorded; wait for its mark.
    for (let i = 0; !h.linear.labelNames(issue.identifier).includes('needs-human'); i++) {
      expect(i, 'needs-human marker within 5 s').toBeLessThan(250);
      await new Promise((r) => setTimeout(r, 20));
    }
    const result = await h.cycle();
    expect(result.plan.blockers.find((b) => b.identifier === issue.identifier)?.reason).toBe('retry-limit');
    expect(await h.runsOf(issue.identifier)).toHaveLength(3);
    expect(h.linear.labelNames(issue.identifier)).toContain('needs-human');
    expect(h.linear.commentsOn(issue.identifier).some((c) => c.body.includes('gave up on this ticket after 3 failed runs'))).toBe(true);
  }, 60_000);

  it('dispatches a newly labelled ticket within 2 s of its Linear webhook, and ignores a replay', async () => {
    const issue = h.linear.store.addIssue({ team: 'GHA', title: 'Webhook me' });
    const label = h.linear.workspace.labels.find((l) => l.name === 'AI-Implement')!;
    issue.labelIds.push(label.id);
    const delivery = h.linear.issueWebhook(issue.identifier, { secret: SECRETS.linearWebhook, updatedFrom: { labelIds: [] } });
    const before = h.github.server.requestsTo('POST', '/dispatches').length;
    const started = Date.now();
    const res = await fetch(`${h.orchestrator.url}/webhooks/linear`, { method: 'POST', headers: { 'content-type': 'application/json', ...delivery.headers }, body: delivery.body });
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1_000);
    for (;;) {
      if (h.github.server.requestsTo('POST', '/dispatches').length > before) break;
      expect(Date.now() - started, 'dispatch within 2 s').toBeLessThan(2_000);
      await new Promise((r) => setTimeout(r, 20));
    }
    const [run] = await h.runsOf(issue.identifier);
    expect(run?.triggerSource).toBe('linear-webhook');
    const replay = await fetch(`${h.orchestrator.url}/webhooks/linear`, { method: 'POST', headers: { 'content-type': 'application/json', ...delivery.headers }, body: delivery.body });
    expect(await replay.json()).toMatchObject({ status: 'duplicate' });
    await new Promise((r) => setTimeout(r, 200));
    expect(h.github.server.requestsTo('POST', '/dispatches').length).toBe(before + 1);
    expect(await h.runsOf(issue.identifier)).toHaveLength(1);
  });
});
