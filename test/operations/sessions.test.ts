import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperationsApiModules } from '../../src/http/api/operations-routes.js';
import { createSessionsRoutes } from '../../src/http/api/sessions-routes.js';
import { createMemoryStore } from '../../src/store/memory/create-memory-store.js';
import { startHarness, type OrchestratorHarness } from '../support/orchestrator-harness.js';
import { startApi, type ApiClient } from './support/api-client.js';

const APP = 'ai-implement-sessions';

describe('sessions: listing and destroying Fly machines end to end', () => {
  let h: OrchestratorHarness;
  let api: ApiClient;

  beforeAll(async () => {
    h = await startHarness();
    h.github.state.addRepo({ owner: 'acme', name: 'fly-app', defaultBranch: 'main' });
    h.linear.store.addTeam({ key: 'FLY' });
    h.linear.store.addLabel({ name: 'AI-Implement', team: null });
    await h.addMapping({ teamKey: 'FLY', owner: 'acme', repo: 'fly-app', defaultBranch: 'main', executionMode: 'fly-machines' });
    api = await startApi(h.orchestrator.store, createOperationsApiModules(h.orchestrator.services.operations, { store: h.orchestrator.store, clock: Date.now }));
  });

  afterAll(async () => {
    await api?.close();
    await h?.stop();
  });

  it('lists the live machine of a dispatched ticket, destroys it and lets the next cycle dispatch the ticket again', async () => {
    const issue = h.linear.store.addIssue({ team: 'FLY', title: 'Speed up search', labels: ['AI-Implement'] });
    await h.cycle();
    const [run] = await h.runsOf(issue.identifier);
    expect(run).toMatchObject({ backend: 'fly-machines', status: 'launching' });
    expect(h.linear.labelNames(issue.identifier)).toContain('AI-Working');
    expect(await h.orchestrator.store.dedup.get(issue.id)).toBeDefined();

    const listed = await api.call('GET', '/api/sessions');
    expect(listed.status).toBe(200);
    const sessions = listed.body.sessions as Array<Record<string, unknown>>;
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ machineId: run!.upstreamId, name: `run-${run!.id}`, runId: run!.id, issue: issue.identifier, repo: 'acme/fly-app', mappingKey: 'FLY' });
    expect(['created', 'starting', 'started']).toContain(sessions[0]!.state);
    expect(String(sessions[0]!.issueUrl).toLowerCase()).toContain(issue.identifier.toLowerCase());
    expect(typeof sessions[0]!.uptimeSeconds).toBe('number');

    const destroyed = await api.call('DELETE', `/api/sessions/${run!.upstreamId}`);
    expect(destroyed.status).toBe(200);
    expect(destroyed.body).toMatchObject({ machineId: run!.upstreamId, runId: run!.id, issue: issue.identifier, runSettled: true, markerRemoved: true, dedupCleared: true });
    expect(h.fly.state.machine(APP, run!.upstreamId!)?.state).toBe('destroyed');
    expect(h.linear.labelNames(issue.identifier)).not.toContain('AI-Working');
    expect(await h.orchestrator.store.dedup.get(issue.id)).toBeUndefined();
    expect(await h.orchestrator.store.runs.getRun(run!.id)).toMatchObject({ status: 'cancelled' });
    expect((await h.orchestrator.store.runs.getRun(run!.id))?.failureReason).toContain('Sessions panel');
    const audit = await h.orchestrator.store.audit.list({ action: 'session.destroyed' });
    expect(audit.items[0]).toMatchObject({ target: run!.upstreamId });
    expect(audit.items[0]?.actor).toMatch(/^admin-session:/);

    expect((await api.call('GET', '/api/sessions')).body.sessions).toEqual([]);
    await h.cycle();
    const runs = await h.runsOf(issue.identifier);
    expect(runs).toHaveLength(2);
    expect(runs.find((r) => r.id !== run!.id)).toMatchObject({ status: 'launching', dispatchNumber: 2 });
    expect(h.linear.labelNames(issue.identifier)).toContain('AI-Working');
  });

  it('answers 404 for an unknown or already destroyed machine and 400 for a malformed id', async () => {
    const unknown = await api.call('DELETE', '/api/sessions/0123456789abcd');
    expect(unknown.status).toBe(404);
    const malformed = await api.call('DELETE', '/api/sessions/NOT..AN-ID');
    expect(malformed.status).toBe(400);
    expect(malformed.body.field).toBe('machineId');
    const [gone] = h.fly.state.machinesOf(APP).filter((m) => m.state === 'destroyed');
    expect((await api.call('DELETE', `/api/sessions/${gone!.id}`)).status).toBe(404);
  });

  it('lists a machine that is not a run machine, without run details', async () => {
    const stray = h.fly.state.addMachine({
      app: APP,
      name: 'debug-shell',
      region: 'iad',
      config: { image: 'x', guest: { cpu_kind: 'shared', cpus: 1, memory_mb: 256 }, env: {}, metadata: {}, auto_destroy: false, restart: { policy: 'no' } },
    });
    const sessions = (await api.call('GET', '/api/sessions')).body.sessions as Array<Record<string, unknown>>;
    const row = sessions.find((s) => s.machineId === stray.id);
    expect(row).toMatchObject({ name: 'debug-shell' });
    expect(row?.runId).toBeUndefined();
    const destroyed = await api.call('DELETE', `/api/sessions/${stray.id}`);
    expect(destroyed.body).toMatchObject({ runSettled: false, markerRemoved: false, dedupCleared: false });
    expect(h.fly.state.machine(APP, stray.id)?.state).toBe('destroyed');
  });

  it('answers 503 with a clear message when Fly is not configured', async () => {
    const store = createMemoryStore();
    await store.open();
    const bare = await startApi(store, [createSessionsRoutes({ sessions: undefined })]);
    try {
      const answer = await bare.call('GET', '/api/sessions');
      expect(answer.status).toBe(503);
      expect(answer.body.message).toContain('FLY_API_TOKEN');
      expect((await bare.call('DELETE', '/api/sessions/abc')).status).toBe(503);
    } finally {
      await bare.close();
      await store.close();
    }
  });
});
