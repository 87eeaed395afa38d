import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, type ApiClient } from '../api/support/api-client.js';
import { SECRETS, startHarness, type OrchestratorHarness } from '../support/orchestrator-harness.js';

/**
 * `POST /api/runs`: an operator starts a run for a ticket by its identifier,
 * label or not, through the whole orchestrator; the project is matched from
 * the ticket's team, and every refusal names what to change.
 */
describe('manual runs (whole orchestrator)', () => {
  let h: OrchestratorHarness;
  let api: ApiClient;
  let token: string;

  beforeAll(async () => {
    h = await startHarness();
    for (const name of ['web', 'api']) h.addActionsRepo(name);
    for (const key of ['WEB', 'TWO', 'NONE', 'PAUSE']) h.linear.store.addTeam({ key });
    h.linear.store.addLabel({ name: 'AI-Implement', team: null });
    await h.addMapping({ teamKey: 'WEB', owner: 'acme', repo: 'web', defaultBranch: 'main', executionMode: 'github-actions' });
    // Two projects over one Linear team: the operator has to say which.
    await h.addMapping({ teamKey: 'TWO-A', owner: 'acme', repo: 'web', defaultBranch: 'main', linear: { teamKey: 'TWO' } });
    await h.addMapping({ teamKey: 'TWO-B', owner: 'acme', repo: 'api', defaultBranch: 'main', linear: { teamKey: 'TWO' } });
    await h.addMapping({ teamKey: 'PAUSE', owner: 'acme', repo: 'web', defaultBranch: 'main', paused: true });
    api = apiClient(h.orchestrator.url);
    token = await api.login(SECRETS.adminAccessCode);
  }, 60_000);
  afterAll(() => h?.stop());

  it('starts a run for an unlabelled ticket by identifier, matching its project, recorded as manual and audited', async () => {
    const issue = h.linear.store.addIssue({ team: 'WEB', title: 'Fix the footer', labels: [] });
    const started = await api.call('POST', '/api/runs', { token, body: { ticket: issue.identifier } });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    expect(started.body).toMatchObject({ mappingChosen: 'matched', run: { identifier: issue.identifier, mappingKey: 'WEB', triggerSource: 'manual', phase: 'implement', status: 'launching' } });
    const runId = (started.body.run as { id: string }).id;
    expect(h.github.state.runs.filter((r) => r.inputs.run_id === runId)).toHaveLength(1);
    const audit = (await h.orchestrator.store.audit.list({ action: 'run.start', limit: 5 })).items;
    expect(audit[0]).toMatchObject({ target: `run:${runId}`, after: { issue: issue.identifier, mapping: 'WEB' } });

    // One live run per ticket and phase: a second request is refused and starts nothing.
    const again = await api.call('POST', '/api/runs', { token, body: { ticket: issue.identifier } });
    expect(again.status).toBe(409);
    expect(String(again.body.message)).toContain(runId);
    expect(h.github.state.runs.filter((r) => r.inputs.run_id !== undefined)).toHaveLength(1);
  });

  it('asks for the project when several cover the ticket, and starts in the one named', async () => {
    const issue = h.linear.store.addIssue({ team: 'TWO', title: 'Shared team ticket', labels: [] });
    const ambiguous = await api.call('POST', '/api/runs', { token, body: { ticket: issue.identifier } });
    expect(ambiguous.status).toBe(400);
    expect(ambiguous.body).toMatchObject({ field: 'mapping' });
    expect(String(ambiguous.body.message)).toContain('TWO-A, TWO-B');
    const named = await api.call('POST', '/api/runs', { token, body: { ticket: issue.identifier, mapping: 'TWO-B' } });
    expect(named.status).toBe(201);
    expect(named.body).toMatchObject({ mappingChosen: 'named', run: { mappingKey: 'TWO-B' } });
  });

  it('names what is wrong: unknown ticket, unknown or uncovering project, a paused project, a bad body', async () => {
    const before = h.github.state.runs.length;
    const missing = await api.call('POST', '/api/runs', { token, body: { ticket: 'WEB-9999' } });
    expect(missing.status).toBe(404);
    expect(String(missing.body.message)).toContain('WEB-9999');

    const uncovered = h.linear.store.addIssue({ team: 'NONE', title: 'Nobody maps this team', labels: [] });
    const none = await api.call('POST', '/api/runs', { token, body: { ticket: uncovered.identifier } });
    expect(none.status).toBe(400);
    expect(String(none.body.message)).toContain('no project covers');

    const unknownMapping = await api.call('POST', '/api/runs', { token, body: { ticket: uncovered.identifier, mapping: 'NOPE' } });
    expect(unknownMapping.status).toBe(400);
    expect(unknownMapping.body).toMatchObject({ field: 'mapping' });

    const pausedIssue = h.linear.store.addIssue({ team: 'PAUSE', title: 'Paused project', labels: [] });
    const paused = await api.call('POST', '/api/runs', { token, body: { ticket: pausedIssue.identifier } });
    expect(paused.status).toBe(409);
    expect(String(paused.body.message)).toContain('paused');

    const plan = await api.call('POST', '/api/runs', { token, body: { ticket: uncovered.identifier, mapping: 'WEB', phase: 'plan' } });
    expect(plan.status).toBe(400);
    expect(plan.body).toMatchObject({ field: 'phase' });

    for (const body of [{}, { ticket: '' }, { ticket: 'WEB-1', extra: true }, { ticket: 'WEB-1', phase: 'review' }]) {
      const bad = await api.call('POST', '/api/runs', { token, body });
      expect(bad.status, JSON.stringify(body)).toBe(400);
    }
    expect((await api.call('POST', '/api/runs', { body: { ticket: 'WEB-1' } })).status).toBe(401);
    expect(h.github.state.runs.length).toBe(before);
  });

  it('starts a run from the Pipelines panel’s New run form, with its CSRF token, and shows a refusal as a page', async () => {
    const base = h.orchestrator.url;
    const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
    const login = await fetch(`${base}/admin/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base }, body: form({ code: SECRETS.adminAccessCode }) });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const jobs = await (await fetch(`${base}/admin/jobs`, { headers: { cookie } })).text();
    expect(jobs).toContain('action="/admin/runs/new"');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(jobs)?.[1];
    expect(csrf).toBeDefined();
    const post = (fields: Record<string, string>) =>
      fetch(`${base}/admin/runs/new`, { method: 'POST', redirect: 'manual', headers: { cookie, origin: base, 'content-type': 'application/x-www-form-urlencoded' }, body: form(fields) });

    const issue = h.linear.store.addIssue({ team: 'WEB', title: 'Started from the panel', labels: [] });
    expect((await post({ ticket: issue.identifier })).status).toBe(403);
    const ok = await post({ _csrf: csrf!, ticket: issue.identifier, mapping: '', phase: 'implement' });
    expect(ok.status).toBe(303);
    const [run] = await h.runsOf(issue.identifier);
    expect(run).toMatchObject({ triggerSource: 'manual', mappingKey: 'WEB' });
    expect(ok.headers.get('location')).toBe(`/admin/runs/${run!.id}?notice=run-started&subject=${encodeURIComponent(issue.identifier)}`);

    const refused = await post({ _csrf: csrf!, ticket: 'WEB-424242' });
    expect(refused.status).toBe(404);
    expect(await refused.text()).toContain('No ticket WEB-424242');
  });
});
