import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOCKER_EXPLANATIONS } from '../../src/domain/plan-dispatch.js';
import type { Run } from '../../src/domain/run.js';
import { SECRETS, startHarness, type OrchestratorHarness } from '../support/orchestrator-harness.js';
import { apiClient, type ApiClient } from './support/api-client.js';

type Row = Record<string, unknown>;

/** The operator API driving the real orchestrator (emulated GitHub, Linear, Jira, Fly). */
describe('operator API semantics end to end', () => {
  let h: OrchestratorHarness;
  let api: ApiClient;
  let token: string;
  let sessionId: string;

  const get = async (path: string) => {
    const answer = await api.call('GET', path, { token });
    expect(answer.status, path).toBe(200);
    return answer.body;
  };
  const send = async (method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown) => {
    const answer = await api.call(method, path, { token, ...(body !== undefined ? { body } : {}) });
    expect(answer.status, `${method} ${path}: ${JSON.stringify(answer.body)}`).toBeLessThan(300);
    return answer.body;
  };
  const ticket = (team: string, title: string) => h.linear.store.addIssue({ team, title, labels: ['AI-Implement'] });

  beforeAll(async () => {
    h = await startHarness();
    for (const name of ['api-app', 'cap-app']) {
      h.github.state.addRepo({ owner: 'acme', name, defaultBranch: 'main', files: { 'README.md': '# app\n' } });
      h.github.state.addWorkflow('acme', name, {
        file: 'claude-implement.yml',
        name: 'AI-Implement',
        runName: 'AI-Implement ${{ inputs.run_id }}',
        inputs: { run_id: { required: true }, orchestrator_url: { required: true } },
      });
    }
    for (const key of ['API', 'CAP', 'DDP']) h.linear.store.addTeam({ key });
    h.linear.store.addLabel({ name: 'AI-Implement', team: null });
    api = apiClient(h.orchestrator.url);
    token = await api.login(SECRETS.adminAccessCode);
    const login = (await get('/api/audit?action=auth.login')).events as Row[];
    sessionId = String(login[0]?.target).replace('admin-session:', '');
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('a mapping created through the API is what intake uses, and the change is audited without the token', async () => {
    const created = await api.call('POST', '/api/mappings', { token, body: { teamKey: 'API', owner: 'acme', repo: 'api-app', defaultBranch: 'main' } });
    expect(created.status).toBe(201);
    const issue = ticket('API', 'Add an API');
    await h.cycle();
    const [run] = await h.runsOf(issue.identifier);
    expect(run).toMatchObject({ mappingKey: 'API', backend: 'github-actions', status: 'launching' });

    const inbox = await get('/api/issues');
    const row = (inbox.issues as Row[]).find((r) => r.identifier === issue.identifier);
    expect(row).toMatchObject({ mappingKeys: ['API'], readiness: 'ready-for-implementation', url: expect.stringContaining('http') });
    expect(inbox.inProgressByMapping).toContainEqual({ mappingKey: 'API', inProgress: 1, cap: 3, paused: false });

    const audit = (await get('/api/audit?action=mapping.create')).events as Row[];
    expect(audit[0]).toMatchObject({ actor: `admin-session:${sessionId}`, target: 'mapping:API', after: expect.objectContaining({ teamKey: 'API' }) });
    expect(((await get('/api/audit?action=dispatch.start')).events as Row[]).length).toBeGreaterThan(0);
    expect(JSON.stringify(await get('/api/audit?limit=500'))).not.toContain(token);
  });

  it('PATCH pauses and caps a mapping; the blockers panel explains why tickets wait', async () => {
    await send('POST', '/api/mappings', { teamKey: 'CAP', owner: 'acme', repo: 'cap-app', defaultBranch: 'main' });
    expect((await send('PATCH', '/api/mappings/CAP', { paused: true })).mapping).toMatchObject({ paused: true, maxInProgressAiIssues: 3 });
    const first = ticket('CAP', 'Cap first');
    await h.cycle();
    expect(await h.runsOf(first.identifier)).toHaveLength(0);
    expect(((await get('/api/blockers')).blockers as Row[]).find((b) => b.identifier === first.identifier)).toMatchObject({ reason: 'paused', mapping: 'CAP' });

    await send('PATCH', '/api/mappings/CAP', { paused: false, maxInProgressAiIssues: 1 });
    const second = ticket('CAP', 'Cap second');
    await h.cycle();
    const started = [...(await h.runsOf(first.identifier)), ...(await h.runsOf(second.identifier))];
    expect(started).toHaveLength(1);
    const waiting = started[0]!.identifier === first.identifier ? second : first;
    const view = await get('/api/blockers');
    const blocker = (view.blockers as Row[]).find((b) => b.identifier === waiting.identifier);
    expect(blocker).toEqual({
      issueId: waiting.id,
      identifier: waiting.identifier,
      title: waiting.title,
      url: expect.stringMatching(new RegExp(waiting.identifier, 'i')),
      tracker: 'linear',
      teamKey: 'CAP',
      mapping: 'CAP',
      reason: 'concurrency',
      detail: expect.any(String),
      explanation: BLOCKER_EXPLANATIONS.concurrency,
    });
    const kpis = view.kpis as Row;
    expect(kpis.byConcurrency).toBeGreaterThanOrEqual(1);
    expect(kpis.total).toBe((view.blockers as Row[]).length);
    expect(kpis.teamsAffected).toBeGreaterThanOrEqual(1);

    const audit = (await get('/api/audit?action=mapping.update')).events as Row[];
    expect(audit[0]).toMatchObject({ before: { paused: true, maxInProgressAiIssues: 3 }, after: { paused: false, maxInProgressAiIssues: 1 } });

    await send('PATCH', '/api/mappings/CAP', { maxInProgressAiIssues: 2 });
    await h.cycle();
    expect(await h.runsOf(waiting.identifier)).toHaveLength(1);
  });

  it('deleting a dedup entry lets the next cycle dispatch the ticket again', async () => {
    await send('POST', '/api/mappings', { teamKey: 'DDP', owner: 'acme', repo: 'api-app', defaultBranch: 'main' });
    const issue = ticket('DDP', 'Dedup me');
    await h.cycle();
    const [run] = await h.runsOf(issue.identifier);
    await h.orchestrator.store.runs.updateRun(run!.id, { status: 'cancelled', finishedAt: new Date().toISOString() });
    await h.cycle();
    expect(((await get('/api/blockers')).blockers as Row[]).find((b) => b.identifier === issue.identifier)?.reason).toBe('dedup');
    const entry = ((await get('/api/dedup')).entries as Row[]).find((e) => e.identifier === issue.identifier);
    expect(entry).toMatchObject({ issueId: issue.id, title: 'Dedup me', runId: run!.id, dispatchedAt: expect.any(String), expiresAt: expect.any(String) });

    expect(await send('DELETE', `/api/dedup/${issue.identifier}`)).toEqual({ deleted: issue.id, identifier: issue.identifier });
    expect((await api.call('DELETE', `/api/dedup/${issue.id}`, { token })).status).toBe(404);
    await h.cycle();
    const runs = await h.runsOf(issue.identifier);
    expect(runs).toHaveLength(2);
    expect(((await get('/api/audit?action=dedup.delete')).events as Row[])[0]).toMatchObject({ target: `issue:${issue.identifier}`, actor: `admin-session:${sessionId}` });
  });

  it('pages the dispatch log with a cursor, newest first, and filters it', async () => {
    const all = (await get('/api/log')).entries as Row[];
    expect(all.length).toBeGreaterThanOrEqual(5);
    const created = all.map((e) => String(e.createdAt));
    expect([...created].sort().reverse()).toEqual(created);
    expect(all.find((e) => e.mappingKey === 'API')).toMatchObject({ repo: 'acme/api-app' });

    const seen: Row[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await get(`/api/log?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      const entries = page.entries as Row[];
      expect(entries.length).toBeLessThanOrEqual(2);
      seen.push(...entries);
      cursor = page.nextCursor as string | undefined;
      pages++;
    } while (cursor);
    expect(pages).toBe(Math.ceil(all.length / 2));
    expect(seen.map((e) => e.id)).toEqual(all.map((e) => e.id));

    const cancelled = (await get('/api/log?status=cancelled&mapping=DDP')).entries as Row[];
    expect(cancelled).toHaveLength(1);
    expect(cancelled[0]).toMatchObject({ mappingKey: 'DDP', status: 'cancelled' });
    expect((await get(`/api/log?to=${encodeURIComponent(String(all.at(-1)!.createdAt))}`)).entries).toEqual([]);

    const job = await get(`/api/jobs/${String(all[0]!.id)}/steps`);
    expect((job.run as Row).id).toBe(all[0]!.id);
    expect(Array.isArray(job.steps)).toBe(true);
  });

  it('lists bot pull requests from runs with a PR', async () => {
    const [run] = (await h.runsOf('API-1')) as Run[];
    expect(run).toBeDefined();
    const prUrl = `${h.github.url ?? 'https://github.com'}/acme/api-app/pull/7`;
    await h.orchestrator.store.runs.updateRun(run!.id, { status: 'succeeded', prUrl, prNumber: 7, finishedAt: new Date().toISOString() });
    const pulls = (await get('/api/pulls')).pulls as Row[];
    expect(pulls.find((p) => p.prUrl === prUrl)).toMatchObject({
      repo: 'acme/api-app',
      identifier: 'API-1',
      status: 'completed',
      iterations: 1,
      latestRunId: run!.id,
      sinceLastDispatchMs: expect.any(Number),
      links: { pullRequest: prUrl, files: `${prUrl}/files`, checks: `${prUrl}/checks` },
    });
  });

  it('stores the runner mode, which the next cycle uses', async () => {
    expect(await get('/api/runner-mode')).toEqual({ stored: null, effective: 'default', envOverride: false });
    expect(await send('POST', '/api/runner-mode', { mode: 'fly' })).toMatchObject({ stored: 'fly', effective: 'fly', envOverride: false });
    const issue = ticket('API', 'Runs on Fly');
    await h.cycle();
    expect((await h.runsOf(issue.identifier))[0]).toMatchObject({ backend: 'fly-machines', runnerMode: 'fly' });
    await send('POST', '/api/runner-mode', { mode: 'default' });
    expect(((await get('/api/audit?action=settings.runnerMode')).events as Row[])[0]).toMatchObject({ before: 'fly', after: 'default' });
  });

  it('deletes a mapping; intake then reports its tickets as unmapped', async () => {
    await send('DELETE', '/api/mappings/DDP');
    expect(((await get('/api/mappings')).mappings as Row[]).map((m) => m.teamKey)).not.toContain('DDP');
    const orphan = ticket('DDP', 'Nobody home');
    await h.cycle();
    expect(((await get('/api/blockers')).blockers as Row[]).find((b) => b.identifier === orphan.identifier)).toMatchObject({ reason: 'no-mapping', mapping: null });
    expect(((await get('/api/issues')).issues as Row[]).some((r) => r.identifier === orphan.identifier)).toBe(false);
  });
});
