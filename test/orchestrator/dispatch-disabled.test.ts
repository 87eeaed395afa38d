import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type OrchestratorHarness } from '../support/orchestrator-harness.js';

describe('without RUNNER_TOKEN_SECRET', () => {
  let h: OrchestratorHarness;
  beforeAll(async () => {
    h = await startHarness({ RUNNER_TOKEN_SECRET: '' });
    h.github.state.addRepo({ owner: 'acme', name: 'web', defaultBranch: 'main' });
    h.linear.store.addTeam({ key: 'ENG' });
    h.linear.store.addLabel({ name: 'AI-Implement', team: null });
    await h.addMapping({ teamKey: 'ENG', owner: 'acme', repo: 'web', defaultBranch: 'main' });
  });
  afterAll(() => h.stop());

  it('plans but claims nothing and leaves the ticket untouched (a runner could never report back)', async () => {
    const issue = h.linear.store.addIssue({ team: 'ENG', title: 'Ready but stuck', labels: ['AI-Implement'] });
    const result = await h.cycle();
    expect(result.plan.starts.map((s) => s.item.identifier)).toEqual([issue.identifier]);
    expect(result.started).toEqual([]);
    expect(await h.runsOf(issue.identifier)).toEqual([]);
    expect(h.linear.labelNames(issue.identifier)).toEqual(['AI-Implement']);
    expect(h.linear.commentsOn(issue.identifier)).toEqual([]);
    expect(h.github.server.requestsTo('POST', '/dispatches')).toEqual([]);
    // The callback routes say why.
    expect((await fetch(`${h.orchestrator.url}/runner/progress`, { method: 'POST' })).status).toBe(501);
  });
});
