import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperationsApiModules } from '../../src/http/api/operations-routes.js';
import type { Run } from '../../src/domain/run.js';
import { REAPER_SETTINGS } from '../../src/operations/reaper.js';
import type { FlyMachine } from '../../src/sandbox/fly/fly-types.js';
import { startHarness, type OrchestratorHarness } from '../support/orchestrator-harness.js';
import { startApi, type ApiClient } from './support/api-client.js';

const APP = 'ai-implement-sessions';

describe('reaper against the Fly and Linear emulators', () => {
  let h: OrchestratorHarness;
  let api: ApiClient;
  const machines: Record<'orphan' | 'stale' | 'old' | 'done' | 'healthy', FlyMachine> = {} as never;
  const runs: Record<string, Run> = {};

  /** A run of the FLY mapping in `launching`, as the dispatcher leaves it, carried by a new started machine. */
  async function liveRun(title: string): Promise<{ run: Run; machine: FlyMachine; issueId: string }> {
    const issue = h.linear.store.addIssue({ team: 'FLY', title, labels: ['AI-Implement'] });
    const claim = await h.orchestrator.store.runs.claimTicket({
      issueId: issue.id,
      identifier: issue.identifier,
      tracker: 'linear',
      mappingKey: 'FLY',
      phase: 'implement',
      backend: 'fly-machines',
      runnerMode: 'default',
      triggerSource: 'poll',
      status: 'claimed',
    });
    if (!claim.claimed) throw new Error('not claimed');
    const machine = addMachine(claim.run.id, issue.identifier);
    const run = await h.orchestrator.store.runs.updateRun(claim.run.id, { status: 'launching', upstreamId: machine.id });
    return { run, machine, issueId: issue.id };
  }

  function addMachine(runId: string, issue: string): FlyMachine {
    const machine = h.fly.state.addMachine({
      app: APP,
      name: `run-${runId}`,
      region: 'iad',
      config: {
        image: 'runner:test',
        guest: { cpu_kind: 'shared', cpus: 1, memory_mb: 256 },
        env: {},
        metadata: { ai_implement_run_id: runId, ai_implement_attempt: '1', ai_implement_issue: issue, ai_implement_mapping: 'FLY', ai_implement_tenant: 'acme/fly-app' },
        auto_destroy: true,
        restart: { policy: 'no' },
      },
    });
    return h.fly.state.setMachineState(APP, machine.id, 'started');
  }

  beforeAll(async () => {
    h = await startHarness();
    h.github.state.addRepo({ owner: 'acme', name: 'fly-app', defaultBranch: 'main' });
    h.linear.store.addTeam({ key: 'FLY' });
    h.linear.store.addLabel({ name: 'AI-Implement', team: null });
    await h.addMapping({ teamKey: 'FLY', owner: 'acme', repo: 'fly-app', defaultBranch: 'main', executionMode: 'fly-machines', maxJobMinutes: 60 });
    api = await startApi(h.orchestrator.store, createOperationsApiModules(h.orchestrator.services.operations, { store: h.orchestrator.store, clock: Date.now }));

    // orphan: a run machine whose run the store never heard of.
    machines.orphan = addMachine('run-nobody-knows', 'FLY-999');
    // stale-terminal-job: its run already succeeded.
    const stale = await liveRun('Finished already');
    runs.stale = await h.orchestrator.store.runs.updateRun(stale.run.id, { status: 'succeeded', finishedAt: new Date().toISOString() });
    machines.stale = stale.machine;
    // max-age-exceeded: 60 min + 15 min grace is long gone.
    const old = await liveRun('Runs forever');
    machines.old = h.fly.state.setCreatedAt(APP, old.machine.id, new Date(Date.now() - 3 * 3_600_000));
    runs.old = old.run;
    // issue-terminal: someone finished the ticket by hand.
    const done = await liveRun('Done by a human');
    const issue = h.linear.store.requireIssue(done.issueId);
    issue.stateId = h.linear.store.requireState(issue.teamId, 'Done').id;
    machines.done = done.machine;
    runs.done = done.run;
    // healthy: young, live run, open ticket.
    const healthy = await liveRun('Working on it');
    machines.healthy = healthy.machine;
    runs.healthy = healthy.run;
  });

  afterAll(async () => {
    await api?.close();
    await h?.stop();
  });

  const stateOf = (m: FlyMachine) => h.fly.state.machine(APP, m.id)?.state;

  it('records the four leftovers as dry-run without touching them when dry-run is on', async () => {
    await h.orchestrator.store.settings.set(REAPER_SETTINGS.dryRun, true);
    const report = await h.orchestrator.services.operations.reaper.sweep();
    expect(report.dryRun).toBe(true);
    const byMachine = Object.fromEntries(report.actions.map((a) => [a.machineId, a]));
    expect(byMachine[machines.orphan.id]).toMatchObject({ rule: 'orphan', mode: 'dry-run', issue: 'FLY-999', tenant: 'acme/fly-app' });
    expect(byMachine[machines.stale.id]).toMatchObject({ rule: 'stale-terminal-job', mode: 'dry-run' });
    expect(byMachine[machines.old.id]?.rule).toBe('max-age-exceeded');
    expect(byMachine[machines.old.id]?.ageSeconds).toBeGreaterThan(3 * 3600 - 60);
    expect(byMachine[machines.done.id]).toMatchObject({ rule: 'issue-terminal', issue: runs.done!.identifier });
    expect(report.actions).toHaveLength(4);
    for (const m of Object.values(machines)) expect(stateOf(m)).toBe('started');
    expect((await h.orchestrator.store.runs.getRun(runs.old!.id))?.status).toBe('launching');
  });

  it('destroys exactly those four, settles their live runs and leaves the healthy machine alone', async () => {
    await h.orchestrator.store.settings.set(REAPER_SETTINGS.dryRun, false);
    const report = await h.orchestrator.services.operations.reaper.sweep();
    expect(report.errors).toEqual([]);
    expect(report.actions.map((a) => a.mode)).toEqual(['destroyed', 'destroyed', 'destroyed', 'destroyed']);
    expect(report.actions.map((a) => a.machineId).sort()).toEqual([machines.orphan.id, machines.stale.id, machines.old.id, machines.done.id].sort());
    for (const key of ['orphan', 'stale', 'old', 'done'] as const) expect(stateOf(machines[key])).toBe('destroyed');
    expect(stateOf(machines.healthy)).toBe('started');
    // A job killed for its age timed out (it counts as a try); one whose ticket is done was cancelled.
    expect(await h.orchestrator.store.runs.getRun(runs.old!.id)).toMatchObject({ status: 'timed_out', failedStep: 'runner' });
    expect((await h.orchestrator.store.runs.getRun(runs.done!.id))?.status).toBe('cancelled');
    expect((await h.orchestrator.store.runs.getRun(runs.healthy!.id))?.status).toBe('launching');
    // A second sweep finds nothing more to do.
    expect((await h.orchestrator.services.operations.reaper.sweep()).actions).toEqual([]);
  });

  it('answers the 24 h summary by rule and the recent actions through the API', async () => {
    const summary = await api.call('GET', '/api/reaper/summary');
    expect(summary.status).toBe(200);
    expect(summary.body).toMatchObject({ total: 8, destroyed: 4, dryRun: 4, byRule: { orphan: 2, 'stale-terminal-job': 2, 'max-age-exceeded': 2, 'issue-terminal': 2 } });
    const recent = await api.call('GET', '/api/reaper/recent?limit=3');
    expect(recent.status).toBe(200);
    expect(recent.body.actions).toHaveLength(3);
    expect((recent.body.actions as Array<{ mode: string }>)[0]?.mode).toBe('destroyed');
    const bad = await api.call('GET', '/api/reaper/recent?limit=0');
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('limit');
  });

  it('settles a live run whose machine vanished, once it has been quiet past the grace period', async () => {
    const { run, machine } = await liveRun('Machine lost');
    h.fly.state.setMachineState(APP, machine.id, 'destroyed');
    expect((await h.orchestrator.services.operations.reaper.sweep()).settledRuns).toEqual([]);
    h.advance(10 * 60_000);
    const report = await h.orchestrator.services.operations.reaper.sweep();
    expect(report.settledRuns.map((s) => s.runId)).toEqual([run.id]);
    expect(await h.orchestrator.store.runs.getRun(run.id)).toMatchObject({ status: 'failed', failedStep: 'runner' });
    expect((await h.orchestrator.store.runs.getRun(runs.healthy!.id))?.status).toBe('launching');
  });

  it('cancels a live run whose ticket was deleted', async () => {
    const { run, machine, issueId } = await liveRun('Deleted ticket');
    const workspace = h.linear.store.workspace;
    workspace.issues.splice(workspace.issues.findIndex((i) => i.id === issueId), 1);
    await h.orchestrator.services.operations.reaper.sweep();
    expect(await h.orchestrator.store.runs.getRun(run.id)).toMatchObject({ status: 'cancelled' });
    expect(stateOf(machine)).toBe('destroyed');
  });
});
