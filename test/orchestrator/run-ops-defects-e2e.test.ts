import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src/domain/run.js';
import { SETTINGS } from '../../src/domain/settings-keys.js';
import { apiClient, type ApiClient } from '../api/support/api-client.js';
import { SECRETS, startHarness, type OrchestratorHarness } from '../support/orchestrator-harness.js';

const FLY_APP = 'ai-implement-sessions';

/**
 * The two defects issue 19 names, through the whole orchestrator: an approved
 * plan's implementation was held by the plan's own dedup row for the whole
 * window, and destroying a shadow leg's machine reset the primary's ticket.
 */
describe('run operations defects (whole orchestrator)', () => {
  let h: OrchestratorHarness;
  let api: ApiClient;
  let token: string;

  beforeAll(async () => {
    h = await startHarness();
    h.addActionsRepo('web');
    h.linear.store.addTeam({ key: 'PLN' });
    h.linear.store.addTeam({ key: 'SHD' });
    h.linear.store.addLabel({ name: 'AI-Implement', team: null });
    h.linear.store.addLabel({ name: 'Plan-Complete', team: null });
    await h.addMapping({ teamKey: 'PLN', owner: 'acme', repo: 'web', defaultBranch: 'main', executionMode: 'fly-machines', planningEnabled: true });
    await h.addMapping({ teamKey: 'SHD', owner: 'acme', repo: 'web', defaultBranch: 'main', executionMode: 'github-actions' });
    api = apiClient(h.orchestrator.url);
    token = await api.login(SECRETS.adminAccessCode);
  }, 60_000);
  afterAll(() => h?.stop());

  /** The env the orchestrator gave the run's Fly machine (its real run tokens). */
  function machineOf(run: Run) {
    const machine = h.fly.state.machinesOf(FLY_APP).find((m) => m.name === `run-${run.id}`);
    if (!machine) throw new Error(`no machine for ${run.id}`);
    return machine;
  }

  it('starts the implementation as soon as a person approves the plan, inside the plan’s dedup window', async () => {
    const issue = h.linear.store.addIssue({ team: 'PLN', title: 'Plan, then build', labels: ['AI-Implement'] });
    await h.cycle();
    const [plan] = await h.runsOf(issue.identifier);
    expect(plan).toMatchObject({ phase: 'plan', status: 'launching' });
    const env = machineOf(plan!).config.env;
    const res = await fetch(`${h.orchestrator.url}/runner/result`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${env.AI_IMPLEMENT_RESULT_TOKEN}` },
      body: JSON.stringify({ runId: plan!.id, attempt: plan!.attempt, outcome: 'succeeded', plan: '1. Add the button\n2. Test it' }),
    });
    expect(res.status).toBe(200);

    // Waiting for approval: the plan's marker holds the ticket.
    const waiting = await h.cycle();
    expect(waiting.plan.blockers.find((b) => b.issueId === issue.id)?.reason).toBe('planning-pending');

    // A person approves an hour later, well inside the 24 h dedup window of the plan's dispatch.
    issue.labelIds.push(h.linear.workspace.labels.find((l) => l.name === 'Plan-Complete')!.id);
    h.advance(3_600_000);
    const approved = await h.cycle();
    expect(approved.plan.blockers.find((b) => b.issueId === issue.id)).toBeUndefined();
    const implement = (await h.runsOf(issue.identifier)).filter((r) => r.phase === 'implement');
    expect(implement).toHaveLength(1);
    expect(implement[0]).toMatchObject({ triggerSource: 'plan-approval', dispatchNumber: 2, status: 'launching' });

    // The implementation's own dispatch holds the ticket for the window as before.
    const again = await h.cycle();
    expect(again.plan.blockers.find((b) => b.issueId === issue.id)).toBeUndefined();
    expect((await h.runsOf(issue.identifier)).filter((r) => r.phase === 'implement')).toHaveLength(1);
  });

  it('destroying a shadow leg’s machine leaves the primary’s ticket, dedup entry and run alone', async () => {
    await h.orchestrator.store.settings.set(SETTINGS.runnerMode, 'shadow');
    try {
      const issue = h.linear.store.addIssue({ team: 'SHD', title: 'Shadowed', labels: ['AI-Implement'] });
      await h.cycle();
      const runs = await h.runsOf(issue.identifier);
      const primary = runs.find((r) => !r.shadowOf)!;
      const shadow = runs.find((r) => r.shadowOf)!;
      expect(primary).toMatchObject({ backend: 'github-actions', status: 'launching' });
      expect(shadow).toMatchObject({ backend: 'fly-machines', status: 'launching', shadowOf: primary.id });
      expect(h.linear.labelNames(issue.identifier)).toContain('AI-Working');
      const dedupBefore = await h.orchestrator.store.dedup.get(issue.id);
      expect(dedupBefore?.runId).toBe(primary.id);

      const destroyed = await api.call('DELETE', `/api/sessions/${machineOf(shadow).id}`, { token });
      expect(destroyed.status).toBe(200);
      expect(destroyed.body).toMatchObject({ runId: shadow.id, runSettled: true, markerRemoved: false, dedupCleared: false });

      expect((await h.orchestrator.store.runs.getRun(shadow.id))?.status).toBe('cancelled');
      expect((await h.orchestrator.store.runs.getRun(primary.id))?.status).toBe('launching');
      expect(h.linear.labelNames(issue.identifier)).toContain('AI-Working');
      expect(await h.orchestrator.store.dedup.get(issue.id)).toEqual(dedupBefore);
      // Nothing is dispatched a second time for the ticket.
      await h.cycle();
      expect((await h.runsOf(issue.identifier)).filter((r) => !r.shadowOf)).toHaveLength(1);
    } finally {
      await h.orchestrator.store.settings.delete(SETTINGS.runnerMode);
    }
  });
});
