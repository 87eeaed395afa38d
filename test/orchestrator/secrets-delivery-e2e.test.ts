import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRETS, startHarness, type OrchestratorHarness } from '../support/orchestrator-harness.js';

const FLY_KEY = 'fly-delivered-value-3Hk9';
const GLOBAL_VALUE = 'global-value-for-everyone-7Pq';

/**
 * Where the broker's values go per backend, through the whole orchestrator:
 * a Fly machine gets its project's secrets (and the global ones) in its
 * environment at creation, with their names listed for the runner's
 * scrubber; a GitHub Actions dispatch carries none of them.
 */
describe('the secrets broker hands values over at creation only where the backend needs them', () => {
  let h: OrchestratorHarness;
  let bearer: string;
  const api = async (path: string, body: unknown) =>
    fetch(`${h.orchestrator.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` }, body: JSON.stringify(body) });

  beforeAll(async () => {
    // Debug: every line the orchestrator can write is there to search.
    h = await startHarness({ LOG_LEVEL: 'debug' });
    for (const name of ['fly-app', 'gha-app']) h.addActionsRepo(name);
    for (const key of ['FLY', 'GHA']) h.linear.store.addTeam({ key });
    h.linear.store.addLabel({ name: 'AI-Implement', team: null });
    const auth = await fetch(`${h.orchestrator.url}/api/auth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: SECRETS.adminAccessCode }) });
    bearer = ((await auth.json()) as { token: string }).token;
    expect((await api('/api/mappings', { teamKey: 'FLY', owner: 'acme', repo: 'fly-app', defaultBranch: 'main', executionMode: 'fly-machines', agentRuntime: 'demo' })).status).toBe(201);
    expect((await api('/api/mappings', { teamKey: 'GHA', owner: 'acme', repo: 'gha-app', defaultBranch: 'main', executionMode: 'github-actions', agentRuntime: 'demo' })).status).toBe(201);
    expect((await api('/api/mappings/FLY/secrets', { name: 'DEPLOY_TOKEN', value: FLY_KEY })).status).toBe(201);
    expect((await api('/api/global-secrets', { name: 'SHARED_TOKEN', value: GLOBAL_VALUE })).status).toBe(201);
    h.linear.store.addIssue({ team: 'FLY', title: 'Ship on Fly', labels: ['AI-Implement'] });
    h.linear.store.addIssue({ team: 'GHA', title: 'Ship on Actions', labels: ['AI-Implement'] });
    await h.cycle();
  }, 60_000);

  afterAll(async () => {
    await h?.stop();
  });

  it('creates the Fly machine with its project’s and the global secrets, and their names', () => {
    const machines = [...h.fly.state.machines.values()];
    expect(machines).toHaveLength(1);
    const env = machines[0]!.config.env ?? {};
    expect(env).toMatchObject({ DEPLOY_TOKEN: FLY_KEY, SHARED_TOKEN: GLOBAL_VALUE, AI_IMPLEMENT_SECRET_NAMES: 'DEPLOY_TOKEN,SHARED_TOKEN' });
  });

  it('dispatches the Actions workflow with the run id and URL only', () => {
    expect(h.github.state.runs).toHaveLength(1);
    const inputs = JSON.stringify(h.github.state.runs[0]!.inputs);
    expect(Object.keys(h.github.state.runs[0]!.inputs).sort()).toEqual(['orchestrator_url', 'run_id']);
    for (const value of [FLY_KEY, GLOBAL_VALUE]) expect(inputs).not.toContain(value);
  });

  it('keeps the values out of the orchestrator’s log', () => {
    const log = h.logLines.join('\n');
    expect(h.logLines.some((l) => l.includes('dispatch'))).toBe(true);
    for (const value of [FLY_KEY, GLOBAL_VALUE]) expect(log).not.toContain(value);
  });
});
