import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, type ApiClient } from '../api/support/api-client.js';
import { SECRETS, startHarness, type OrchestratorHarness } from '../support/orchestrator-harness.js';

type RunBody = { id: string; owner?: string; ownerFallback?: boolean; identifier: string; status: string };

/**
 * Owners (issue 19, item 4), the run list with its filters and summary counts
 * (item 6) and the New run dialog's ticket search (item 3), through the whole
 * orchestrator against the Linear and Jira emulators.
 */
describe('run owners, the run list and ticket search (whole orchestrator)', () => {
  let h: OrchestratorHarness;
  let api: ApiClient;
  let token: string;

  beforeAll(async () => {
    h = await startHarness({ RUN_OWNER_FALLBACK: 'Robot@Example.test' });
    for (const name of ['web', 'api', 'jira-app']) h.addActionsRepo(name);
    for (const key of ['WEB', 'API']) h.linear.store.addTeam({ key });
    h.linear.store.addLabel({ name: 'AI-Implement', team: null });
    h.linear.store.addUser({ name: 'Ann Lee', email: 'ann@example.test' });
    h.jira.store.addProject('OPS');
    h.jira.store.addUser({ displayName: 'Joe Visible', emailAddress: 'joe@example.test' });
    h.jira.store.addUser({ displayName: 'Pat Private', emailAddress: 'pat@example.test', hideEmail: true });
    await h.addMapping({ teamKey: 'WEB', owner: 'acme', repo: 'web', defaultBranch: 'main', executionMode: 'github-actions' });
    await h.addMapping({ teamKey: 'API', owner: 'acme', repo: 'api', defaultBranch: 'main', executionMode: 'github-actions', agentRuntime: 'codex' });
    await h.addMapping({ teamKey: 'OPS', trackerKind: 'jira', jira: { jql: 'project = OPS', repoFieldValue: 'acme/jira-app' }, owner: 'acme', repo: 'jira-app', defaultBranch: 'main' });
    api = apiClient(h.orchestrator.url);
    token = await api.login(SECRETS.adminAccessCode);
  }, 60_000);
  afterAll(() => h?.stop());

  const start = async (body: Record<string, unknown>): Promise<RunBody> => {
    const answer = await api.call('POST', '/api/runs', { token, body });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    return answer.body.run as RunBody;
  };

  it('owns a run by the ticket assignee’s email (Linear email, Jira emailAddress), else by RUN_OWNER_FALLBACK marked ownerFallback', async () => {
    const assigned = h.linear.store.addIssue({ team: 'WEB', title: 'Assigned footer', assignee: 'ann@example.test' });
    const loose = h.linear.store.addIssue({ team: 'WEB', title: 'Nobody’s footer' });
    const jiraVisible = h.jira.store.addIssue({ project: 'OPS', summary: 'Visible owner', assignee: 'joe@example.test', custom: { 'AI-Implement Repo': 'acme/jira-app' } });
    const jiraHidden = h.jira.store.addIssue({ project: 'OPS', summary: 'Hidden owner', assignee: 'pat@example.test', custom: { 'AI-Implement Repo': 'acme/jira-app' } });

    const annRun = await start({ ticket: assigned.identifier });
    expect(annRun).toMatchObject({ owner: 'ann@example.test' });
    expect(annRun.ownerFallback).toBeUndefined();
    const fallback = await start({ ticket: loose.identifier });
    expect(fallback).toMatchObject({ owner: 'robot@example.test', ownerFallback: true });
    expect(await start({ ticket: jiraVisible.key })).toMatchObject({ owner: 'joe@example.test' });
    // Jira leaves emailAddress out when the profile hides it: the fallback stands in.
    expect(await start({ ticket: jiraHidden.key })).toMatchObject({ owner: 'robot@example.test', ownerFallback: true });
    // The operator may name the owner at the start.
    const named = h.linear.store.addIssue({ team: 'API', title: 'Named owner', assignee: 'ann@example.test' });
    const namedRun = await start({ ticket: named.identifier, owner: 'Lead@Example.test' });
    expect(namedRun).toMatchObject({ owner: 'lead@example.test' });
    expect(namedRun.ownerFallback).toBeUndefined();
    const audit = (await h.orchestrator.store.audit.list({ action: 'run.start', limit: 1 })).items[0];
    expect(audit?.after).toMatchObject({ owner: 'lead@example.test', ownerFallback: false });

    const bad = await api.call('POST', '/api/runs', { token, body: { ticket: named.identifier, owner: 'not an email' } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ field: 'owner' });
    expect(String(bad.body.message)).toContain('e.g. "ann@example.com"');
  });

  it('reassigns a live run, audited, and refuses a finished run, an unknown one and a bad email without changing anything', async () => {
    const issue = h.linear.store.addIssue({ team: 'WEB', title: 'To be reassigned' });
    const run = await start({ ticket: issue.identifier });
    expect(run.ownerFallback).toBe(true);
    const moved = await api.call('POST', `/api/runs/${run.id}/owner`, { token, body: { email: 'Bea@Example.test' } });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body).toMatchObject({ run: { id: run.id, owner: 'bea@example.test' }, previousOwner: 'robot@example.test' });
    expect((moved.body.run as RunBody).ownerFallback).toBeUndefined();
    expect(await h.orchestrator.store.runs.getRun(run.id)).toMatchObject({ owner: 'bea@example.test' });
    const audit = (await h.orchestrator.store.audit.list({ action: 'run.owner', limit: 1 })).items[0];
    expect(audit).toMatchObject({ target: `run:${run.id}`, before: { owner: 'robot@example.test', ownerFallback: true }, after: { owner: 'bea@example.test' } });

    const badEmail = await api.call('POST', `/api/runs/${run.id}/owner`, { token, body: { email: 'bea' } });
    expect(badEmail.status).toBe(400);
    expect(badEmail.body).toMatchObject({ field: 'email' });
    expect((await api.call('POST', `/api/runs/${run.id}/owner`, { token, body: {} })).status).toBe(400);
    expect((await api.call('POST', '/api/runs/no-such-run/owner', { token, body: { email: 'x@example.test' } })).status).toBe(404);

    const stopped = await api.call('POST', `/api/runs/${run.id}/stop`, { token });
    expect(stopped.status).toBe(200);
    const late = await api.call('POST', `/api/runs/${run.id}/owner`, { token, body: { email: 'cy@example.test' } });
    expect(late.status).toBe(409);
    expect(String(late.body.message)).toContain('failed');
    expect(await h.orchestrator.store.runs.getRun(run.id)).toMatchObject({ owner: 'bea@example.test' });
  });

  it('lists runs filtered by status, project, runtime, source, backend, owner and time, paged, with counts per status over the other filters', async () => {
    const all = await api.call('GET', '/api/runs?limit=200', { token });
    expect(all.status).toBe(200);
    const runs = all.body.runs as (RunBody & { mappingKey: string; createdAt: string; repo?: string })[];
    expect(runs.length).toBe(6);
    const counts = all.body.counts as Record<string, number>;
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(runs.length);
    expect(all.body.total).toBe(runs.length);
    expect(counts['failed']).toBe(runs.filter((r) => r.status === 'failed').length);
    expect(runs[0]).not.toHaveProperty('instructions');
    expect(runs.find((r) => r.mappingKey === 'OPS')?.repo).toBe('acme/jira-app');

    const ann = await api.call('GET', '/api/runs?owner=ANN@example.test', { token });
    expect((ann.body.runs as RunBody[]).map((r) => r.owner)).toEqual(['ann@example.test', 'ann@example.test'].slice(0, (ann.body.runs as RunBody[]).length));
    expect((ann.body.runs as RunBody[]).length).toBeGreaterThanOrEqual(1);

    const codex = await api.call('GET', '/api/runs?runtime=codex', { token });
    expect((codex.body.runs as { mappingKey: string }[]).every((r) => r.mappingKey === 'API')).toBe(true);
    expect((codex.body.runs as unknown[]).length).toBe(1);

    const failedWeb = await api.call('GET', '/api/runs?status=failed&mapping=WEB&source=manual&backend=github-actions', { token });
    expect((failedWeb.body.runs as RunBody[]).map((r) => r.status)).toEqual(['failed']);
    expect(failedWeb.body.total).toBe(1);
    // The cards count every status for the other filters, so one click can move to another status.
    expect((failedWeb.body.counts as Record<string, number>)['failed']).toBe(1);
    expect(Object.values(failedWeb.body.counts as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(runs.filter((r) => r.mappingKey === 'WEB').length);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await api.call('GET', `/api/runs?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token });
      expect(page.status).toBe(200);
      seen.push(...(page.body.runs as RunBody[]).map((r) => r.id));
      cursor = page.body.nextCursor as string | undefined;
    } while (cursor);
    expect(seen).toEqual(runs.map((r) => r.id));

    const newest = runs[0]!.createdAt;
    const before = await api.call('GET', `/api/runs?to=${encodeURIComponent(newest)}`, { token });
    expect((before.body.runs as RunBody[]).map((r) => r.id)).not.toContain(runs[0]!.id);
    const since = await api.call('GET', `/api/runs?from=${encodeURIComponent(newest)}`, { token });
    expect((since.body.runs as RunBody[]).map((r) => r.id)).toContain(runs[0]!.id);
  });

  it('refuses bad filters with a 400 that names the parameter and an example', async () => {
    const cases: [string, string, string][] = [
      ['status=done', 'status', 'queued'],
      ['source=cron', 'source', 'manual'],
      ['backend=k8s', 'backend', 'github-actions'],
      ['owner=someone', 'owner', 'ann@example.com'],
      ['owner=me', 'owner', 'ann@example.com'],
      ['from=yesterday', 'from', '2025-01-31T12:00:00Z'],
      ['limit=0', 'limit', '1'],
      ['cursor=garbage!', 'cursor', ''],
      ['color=red', 'color', ''],
    ];
    for (const [query, field, example] of cases) {
      const answer = await api.call('GET', `/api/runs?${query}`, { token });
      expect(answer.status, query).toBe(400);
      expect(String(answer.body.message), query).toContain(field);
      if (example) expect(String(answer.body.message), query).toContain(example);
    }
    expect((await api.call('GET', '/api/runs')).status).toBe(401);
  });

  it('searches tickets by title or identifier in both trackers, with the projects that fit each', async () => {
    h.linear.store.addIssue({ team: 'WEB', title: 'Searchable gizmo in the web app', assignee: 'ann@example.test' });
    h.jira.store.addIssue({ project: 'OPS', summary: 'Searchable gizmo for ops', custom: { 'AI-Implement Repo': 'acme/jira-app' } });
    const found = await api.call('GET', '/api/tickets/search?q=gizmo', { token });
    expect(found.status, JSON.stringify(found.body)).toBe(200);
    const tickets = found.body.tickets as { tracker: string; title: string; mappings: string[]; assigneeEmail?: string }[];
    expect(tickets.map((t) => [t.tracker, t.title]).sort()).toEqual([
      ['jira', 'Searchable gizmo for ops'],
      ['linear', 'Searchable gizmo in the web app'],
    ]);
    expect(tickets.find((t) => t.tracker === 'linear')).toMatchObject({ mappings: ['WEB'], assigneeEmail: 'ann@example.test' });
    expect(tickets.find((t) => t.tracker === 'jira')).toMatchObject({ mappings: ['OPS'] });

    const web = h.linear.store.addIssue({ team: 'WEB', title: 'Found by key' });
    const byKey = await api.call('GET', `/api/tickets/search?q=${web.identifier}`, { token });
    expect((byKey.body.tickets as { identifier: string }[])[0]?.identifier).toBe(web.identifier);

    expect((await api.call('GET', '/api/tickets/search?q=x', { token })).status).toBe(400);
    const missing = await api.call('GET', '/api/tickets/search', { token });
    expect(missing.status).toBe(400);
    expect(String(missing.body.message)).toContain('e.g. "ENG-12"');
  });

  it('in the panel: says who the operator is for My runs, filters owner=me, reassigns from the run page, all behind the CSRF token', async () => {
    const base = h.orchestrator.url;
    const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
    const login = await fetch(`${base}/admin/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base }, body: form({ code: SECRETS.adminAccessCode }) });
    const session = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const get = (path: string, cookie = session) => fetch(`${base}${path}`, { headers: { cookie } }).then((r) => r.text());
    const post = (path: string, fields: Record<string, string>, cookie = session) =>
      fetch(`${base}${path}`, { method: 'POST', redirect: 'manual', headers: { cookie, origin: base, 'content-type': 'application/x-www-form-urlencoded' }, body: form(fields) });
    const jobs = await get('/admin/jobs?owner=me');
    expect(jobs).toContain('Say who you are to see your runs');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(jobs)![1]!;

    expect((await post('/admin/whoami', { email: 'ann@example.test' })).status).toBe(403);
    const badWho = await post('/admin/whoami', { _csrf: csrf, email: 'ann' });
    expect(badWho.status).toBe(400);
    const who = await post('/admin/whoami', { _csrf: csrf, email: 'Ann@Example.test' });
    expect(who.status).toBe(303);
    const operator = (who.headers.get('set-cookie') ?? '').split(';')[0]!;
    expect(operator).toBe('ai_implement_operator=ann%40example.test');
    expect(who.headers.get('set-cookie')).toContain('HttpOnly');
    const both = `${session}; ${operator}`;
    const mine = await get('/admin/jobs?owner=me', both);
    expect(mine).toContain('data-my-runs');
    const annRuns = await h.orchestrator.store.runs.listRuns({ owner: 'ann@example.test' });
    expect(annRuns.items.length).toBeGreaterThan(0);
    for (const run of annRuns.items) expect(mine).toContain(`/admin/runs/${run.id}`);
    const others = await h.orchestrator.store.runs.listRuns({ owner: 'robot@example.test' });
    for (const run of others.items) expect(mine).not.toContain(`/admin/runs/${run.id}`);
    expect(mine).toMatch(/data-status-card="launching"[^>]*>\s*<div class="label">launching<\/div>\s*<div class="value">\d+<\/div>/);

    // The fallback badge, and a reassignment from the run page.
    const issue = h.linear.store.addIssue({ team: 'WEB', title: 'Reassigned in the panel' });
    const run = await start({ ticket: issue.identifier });
    const runPage = await get(`/admin/runs/${run.id}`);
    expect(runPage).toContain('fallback owner');
    expect(runPage).toContain(`action="/admin/runs/${run.id}/owner"`);
    expect((await post(`/admin/runs/${run.id}/owner`, { email: 'cy@example.test' })).status).toBe(403);
    const moved = await post(`/admin/runs/${run.id}/owner`, { _csrf: csrf, email: 'cy@example.test' });
    expect(moved.status).toBe(303);
    expect(moved.headers.get('location')).toContain('notice=run-reassigned');
    expect(await h.orchestrator.store.runs.getRun(run.id)).toMatchObject({ owner: 'cy@example.test' });
    const after = await get(`/admin/runs/${run.id}`);
    expect(after).toContain('cy@example.test');
    expect(after).not.toContain('fallback owner');

    // The New run dialog's search, behind the panel session.
    const search = await fetch(`${base}/admin/tickets/search?q=gizmo`, { headers: { cookie: session, accept: 'application/json' } });
    expect(search.status).toBe(200);
    expect(((await search.json()) as { tickets: unknown[] }).tickets.length).toBeGreaterThan(0);
  });
});
