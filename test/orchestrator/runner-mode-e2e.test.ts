import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type OrchestratorHarness } from '../support/orchestrator-harness.js';
import { SETTINGS } from '../../src/domain/settings-keys.js';
import { jobSpecSchema } from '../../src/domain/runner-protocol.js';

async function prepare(h: OrchestratorHarness): Promise<void> {
  h.addActionsRepo('web');
  h.linear.store.addTeam({ key: 'ENG' });
  h.linear.store.addLabel({ name: 'AI-Implement', team: null });
  await h.addMapping({ teamKey: 'ENG', owner: 'acme', repo: 'web', defaultBranch: 'main', executionMode: 'github-actions' });
}

describe('runner mode', () => {
  let h: OrchestratorHarness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('applies a stored mode on the next cycle, sending work to that backend', async () => {
    h = await startHarness();
    await prepare(h);
    const first = h.linear.store.addIssue({ team: 'ENG', title: 'One', labels: ['AI-Implement'] });
    await h.cycle();
    expect((await h.runsOf(first.identifier))[0]?.backend).toBe('github-actions');
    await h.orchestrator.store.settings.set(SETTINGS.runnerMode, 'fly');
    const second = h.linear.store.addIssue({ team: 'ENG', title: 'Two', labels: ['AI-Implement'] });
    await h.cycle();
    const [run] = await h.runsOf(second.identifier);
    expect(run).toMatchObject({ backend: 'fly-machines', runnerMode: 'fly', status: 'launching' });
    expect(h.fly.state.machinesOf('ai-implement-sessions').some((m) => m.name === `run-${run!.id}`)).toBe(true);
  });

  it('lets RUNNER_MODE in the environment beat the stored setting', async () => {
    h = await startHarness({ RUNNER_MODE: 'fly' });
    await prepare(h);
    await h.orchestrator.store.settings.set(SETTINGS.runnerMode, 'gha');
    const issue = h.linear.store.addIssue({ team: 'ENG', title: 'Env wins', labels: ['AI-Implement'] });
    await h.cycle();
    expect((await h.runsOf(issue.identifier))[0]).toMatchObject({ backend: 'fly-machines', runnerMode: 'fly' });
  });

  it('shadow mode runs the primary normally and an inert Fly leg beside it', async () => {
    h = await startHarness();
    await prepare(h);
    await h.orchestrator.store.settings.set(SETTINGS.runnerMode, 'shadow');
    const issue = h.linear.store.addIssue({ team: 'ENG', title: 'Shadow me', labels: ['AI-Implement'] });
    await h.cycle();
    const runs = await h.runsOf(issue.identifier);
    expect(runs).toHaveLength(2);
    const primary = runs.find((r) => !r.shadowOf)!;
    const shadow = runs.find((r) => r.shadowOf)!;
    expect(primary).toMatchObject({ backend: 'github-actions', status: 'launching' });
    expect(shadow).toMatchObject({ backend: 'fly-machines', shadowOf: primary.id, status: 'launching' });
    expect(h.fly.state.machinesOf('ai-implement-sessions').some((m) => m.name === `run-${shadow.id}`)).toBe(true);
    // Only the primary speaks on the ticket.
    const comments = h.linear.commentsOn(issue.identifier).map((c) => c.body).join('\n');
    expect(comments).toContain(primary.id);
    expect(comments).not.toContain(shadow.id);
    // The shadow leg's job spec tells the runner it is inert (no push, no PR, no ticket writes).
    const tokens = h.orchestrator.services.tokens!.mint(shadow.id, shadow.attempt, shadow.deadlineAt!);
    const res = await fetch(`${h.orchestrator.url}/runner/job`, { headers: { authorization: `Bearer ${tokens.progressToken}` } });
    expect(res.status).toBe(200);
    expect(jobSpecSchema.parse(await res.json()).shadow).toBe(true);
  });
});
