import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRETS, startHarness, type OrchestratorHarness } from '../support/orchestrator-harness.js';
import { apiClient, type ApiClient } from './support/api-client.js';

interface Endpoint {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
}

/** Every operator endpoint of the issue, with a concrete path. Ours are checked in depth below; the rest belong to the operations module. */
const OURS: Endpoint[] = [
  { method: 'GET', path: '/api/mappings' },
  { method: 'POST', path: '/api/mappings', body: {} },
  { method: 'PATCH', path: '/api/mappings/WALK', body: { paused: true } },
  { method: 'DELETE', path: '/api/mappings/WALK' },
  { method: 'POST', path: '/api/jira/validate-jql', body: { jql: 'project = OPS' } },
  { method: 'GET', path: '/api/jira/fields' },
  { method: 'GET', path: '/api/jira/field-options?fieldId=x' },
  { method: 'GET', path: '/api/log' },
  { method: 'GET', path: '/api/jobs/some-job/steps' },
  { method: 'GET', path: '/api/issues' },
  { method: 'GET', path: '/api/pulls' },
  { method: 'GET', path: '/api/blockers' },
  { method: 'GET', path: '/api/dedup' },
  { method: 'DELETE', path: '/api/dedup/some-issue' },
  { method: 'GET', path: '/api/runner-mode' },
  { method: 'POST', path: '/api/runner-mode', body: { mode: 'default' } },
  { method: 'GET', path: '/api/settings' },
  { method: 'POST', path: '/api/settings', body: { flySessionsRegion: 'ams' } },
  { method: 'GET', path: '/api/audit' },
  { method: 'GET', path: '/api/openapi.json' },
  { method: 'POST', path: '/api/auth/logout' },
];

const THEIRS: Endpoint[] = [
  { method: 'POST', path: '/api/mappings/WALK/sync-workflows' },
  { method: 'GET', path: '/api/sessions' },
  { method: 'DELETE', path: '/api/sessions/machine-1' },
  { method: 'GET', path: '/api/reaper/summary' },
  { method: 'GET', path: '/api/reaper/recent' },
  { method: 'GET', path: '/api/global-secrets' },
  { method: 'POST', path: '/api/global-secrets', body: { name: 'X', value: 'y' } },
  { method: 'DELETE', path: '/api/global-secrets/X' },
  { method: 'GET', path: '/api/mappings/WALK/secrets' },
  { method: 'POST', path: '/api/mappings/WALK/secrets', body: { name: 'X', value: 'y' } },
  { method: 'DELETE', path: '/api/mappings/WALK/secrets/X' },
  { method: 'GET', path: '/api/customizations' },
  { method: 'GET', path: '/api/pipelines-steps' },
  { method: 'GET', path: '/api/admin/config-status' },
  { method: 'GET', path: '/api/admin/template-status' },
  { method: 'POST', path: '/api/runs/some-run/stop' },
  { method: 'POST', path: '/api/runs/some-run/retry' },
  { method: 'DELETE', path: '/api/runs/some-run' },
  { method: 'GET', path: '/api/runs/some-run/report' },
  { method: 'GET', path: '/api/runs' },
  { method: 'GET', path: '/api/tickets/search?q=footer' },
  { method: 'POST', path: '/api/runs/some-run/owner', body: { email: 'ann@example.com' } },
];

const ALL = [...OURS, ...THEIRS, { method: 'POST', path: '/api/auth', body: { code: 'x' } } as Endpoint];
const WALK_MAPPING = { teamKey: 'WALK', owner: 'acme', repo: 'walk-app', defaultBranch: 'main' };

describe('every operator endpoint with the API enabled', () => {
  let h: OrchestratorHarness;
  let api: ApiClient;
  let token: string;

  beforeAll(async () => {
    h = await startHarness();
    h.jira.store.addProject('OPS');
    api = apiClient(h.orchestrator.url);
    token = await api.login(SECRETS.adminAccessCode);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('answers 401 without a token, with a garbage token and with a well-formed unknown token', async () => {
    const unknown = 'A'.repeat(43);
    for (const e of [...OURS, ...THEIRS]) {
      for (const bad of [undefined, 'garbage', unknown]) {
        const answer = await api.call(e.method, e.path, { ...(bad ? { token: bad } : {}), ...(e.body !== undefined ? { body: e.body } : {}) });
        expect(answer.status, `${e.method} ${e.path} with token ${bad ?? '(none)'}`).toBe(401);
        expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/);
        expect(answer.body.error).toMatch(/missing_token|invalid_token/);
      }
    }
  });

  it('lets a token through to every other module’s endpoint (their semantics are tested there)', async () => {
    for (const e of THEIRS) {
      const answer = await api.call(e.method, e.path, { token, ...(e.body !== undefined ? { body: e.body } : {}) });
      expect(answer.status, `${e.method} ${e.path}`).not.toBe(401);
      expect(answer.status, `${e.method} ${e.path}`).toBeLessThan(500);
      // Mounted, not the catch-all: a 404 here may only be "no such machine/secret".
      expect(String(answer.body.message ?? ''), `${e.method} ${e.path}`).not.toMatch(/^No route for/);
    }
  });

  it('documents the other modules’ operations in the same OpenAPI document', async () => {
    const paths = (await api.call('GET', '/api/openapi.json', { token })).body.paths as Record<string, Record<string, unknown>>;
    const documented = Object.entries(paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => ({ method: method.toUpperCase(), pattern: new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`) })),
    );
    for (const e of THEIRS) {
      const path = e.path.split('?')[0]!;
      expect(documented.some((d) => d.method === e.method && d.pattern.test(path)), `${e.method} ${path}`).toBe(true);
    }
  });

  it('POST /api/auth: 200 with a token, 403 for a wrong code, 400 naming the field for a bad body', async () => {
    expect((await api.call('POST', '/api/auth', { body: { code: 'definitely-not-it' } })).status).toBe(403);
    for (const [body, field] of [
      [{}, 'code'],
      [{ code: 12 }, 'code'],
      [{ code: '' }, 'code'],
      [{ code: 'x', extra: 1 }, 'extra'],
      [[], 'body'],
    ] as const) {
      const answer = await api.call('POST', '/api/auth', { body });
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.field, JSON.stringify(body)).toBe(field);
    }
    // Bytes that are not JSON at all are refused by the body parser before any route.
    expect(await api.call('POST', '/api/auth', { body: 'not json' })).toMatchObject({ status: 400, body: { error: 'invalid_json' } });
    const ok = await api.call('POST', '/api/auth', { body: { code: SECRETS.adminAccessCode } });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), expiresAt: expect.any(String) });
  });

  it('mappings: 201/200 on POST, 400 listing every bad field, PATCH 200/400/404, DELETE 200/404', async () => {
    const created = await api.call('POST', '/api/mappings', { token, body: WALK_MAPPING });
    expect(created.status).toBe(201);
    expect(created.body.mapping).toMatchObject({ teamKey: 'WALK', maxInProgressAiIssues: 3, maxTurns: 50, maxIterations: 3, maxJobMinutes: 90, paused: false });
    expect((await api.call('POST', '/api/mappings', { token, body: WALK_MAPPING })).status).toBe(200);
    const bad = await api.call('POST', '/api/mappings', { token, body: { teamKey: '9lives', owner: 'a b', repo: 'ok', defaultBranch: '', provider: 'bedrock', wat: 1 } });
    expect(bad.status).toBe(400);
    const fields = (bad.body.problems as { field: string }[]).map((p) => p.field);
    expect(fields).toEqual(expect.arrayContaining(['teamKey', 'owner', 'defaultBranch']));
    expect(String(bad.body.message)).toContain('teamKey');
    expect((await api.call('POST', '/api/mappings', { token, body: 'nope' })).status).toBe(400);

    expect((await api.call('GET', '/api/mappings', { token })).status).toBe(200);
    expect((await api.call('PATCH', '/api/mappings/WALK', { token, body: { maxInProgressAiIssues: 2 } })).status).toBe(200);
    // Any field, without re-sending the mapping.
    const moved = await api.call('PATCH', '/api/mappings/WALK', { token, body: { repo: 'other', maxJobMinutes: 120 } });
    expect(moved.status).toBe(200);
    expect(moved.body.mapping).toMatchObject({ repo: 'other', maxJobMinutes: 120, maxInProgressAiIssues: 2, owner: WALK_MAPPING.owner });
    for (const [body, field] of [
      [{ maxInProgressAiIssues: 0 }, 'maxInProgressAiIssues'],
      [{ maxInProgressAiIssues: 'many' }, 'maxInProgressAiIssues'],
      [{ paused: 'yes' }, 'paused'],
      [{ repo: 'not a repo' }, 'repo'],
      [{ wat: 1 }, 'wat'],
      [{ teamKey: 'OTHER' }, 'teamKey'],
      [{}, 'body'],
    ] as const) {
      const answer = await api.call('PATCH', '/api/mappings/WALK', { token, body });
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.field).toBe(field);
    }
    expect((await api.call('PATCH', '/api/mappings/NOPE', { token, body: { paused: true } })).status).toBe(404);
    expect((await api.call('DELETE', '/api/mappings/NOPE', { token })).status).toBe(404);
    expect((await api.call('DELETE', '/api/mappings/WALK', { token })).status).toBe(200);
    expect((await api.call('DELETE', '/api/mappings/WALK', { token })).status).toBe(404);
  });

  it('jira: validate-jql 200 (valid or not) and 400, fields 200, field-options 200/400/404', async () => {
    const valid = await api.call('POST', '/api/jira/validate-jql', { token, body: { jql: 'project = OPS' } });
    expect(valid).toMatchObject({ status: 200, body: { valid: true, errors: [] } });
    const invalid = await api.call('POST', '/api/jira/validate-jql', { token, body: { jql: 'project = = (' } });
    expect(invalid.status).toBe(200);
    expect(invalid.body.valid).toBe(false);
    expect((invalid.body.errors as string[]).length).toBeGreaterThan(0);
    const missing = await api.call('POST', '/api/jira/validate-jql', { token, body: {} });
    expect(missing).toMatchObject({ status: 400, body: { field: 'jql' } });

    const fields = await api.call('GET', '/api/jira/fields', { token });
    expect(fields.status).toBe(200);
    const list = fields.body.fields as { id: string; name: string; custom: boolean }[];
    const status = list.find((f) => f.name === 'AI-Implement Status');
    const repo = list.find((f) => f.name === 'AI-Implement Repo');
    expect(status?.custom).toBe(true);
    const options = await api.call('GET', `/api/jira/field-options?fieldId=${status!.id}`, { token });
    expect(options.status).toBe(200);
    expect((options.body.options as { value: string }[]).map((o) => o.value)).toEqual(expect.arrayContaining(['Ready', 'Implementing']));
    expect(await api.call('GET', '/api/jira/field-options', { token })).toMatchObject({ status: 400, body: { field: 'fieldId' } });
    expect(await api.call('GET', `/api/jira/field-options?fieldId=${repo!.id}`, { token })).toMatchObject({ status: 400, body: { field: 'fieldId' } });
    expect((await api.call('GET', '/api/jira/field-options?fieldId=customfield_99999', { token })).status).toBe(404);
  });

  it('log, jobs, audit: 200, 400 naming the bad query parameter, 404 for an unknown job', async () => {
    expect((await api.call('GET', '/api/log', { token })).status).toBe(200);
    expect((await api.call('GET', '/api/log?limit=1000&status=failed,running&backend=local&trigger=poll&from=2024-01-01T00:00:00Z&to=1999999999999', { token })).status).toBe(200);
    for (const [query, field] of [
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['limit=ten', 'limit'],
      ['status=bogus', 'status'],
      ['backend=mainframe', 'backend'],
      ['trigger=whim', 'trigger'],
      ['from=yesterday', 'from'],
      ['cursor=not-a-cursor', 'cursor'],
      ['colour=red', 'colour'],
    ] as const) {
      const answer = await api.call('GET', `/api/log?${query}`, { token });
      expect(answer.status, query).toBe(400);
      expect(answer.body.field, query).toBe(field);
    }
    expect((await api.call('GET', '/api/jobs/no-such-job/steps', { token })).status).toBe(404);
    expect((await api.call('GET', '/api/audit?limit=5', { token })).status).toBe(200);
    expect(await api.call('GET', '/api/audit?limit=abc', { token })).toMatchObject({ status: 400, body: { field: 'limit' } });
    expect(await api.call('GET', '/api/audit?cursor=%%%', { token })).toMatchObject({ status: 400, body: { field: 'cursor' } });
  });

  it('work panels, dedup, runner mode and settings: 200, 400, 404', async () => {
    for (const path of ['/api/issues', '/api/pulls', '/api/pulls?days=365', '/api/blockers', '/api/dedup', '/api/runner-mode', '/api/settings']) {
      expect((await api.call('GET', path, { token })).status, path).toBe(200);
    }
    expect(await api.call('GET', '/api/pulls?days=0', { token })).toMatchObject({ status: 400, body: { field: 'days' } });
    expect((await api.call('DELETE', '/api/dedup/no-such-issue', { token })).status).toBe(404);
    expect((await api.call('POST', '/api/runner-mode', { token, body: { mode: 'fly' } })).status).toBe(200);
    expect(await api.call('POST', '/api/runner-mode', { token, body: { mode: 'warp' } })).toMatchObject({ status: 400, body: { field: 'mode' } });
    expect(await api.call('POST', '/api/runner-mode', { token, body: {} })).toMatchObject({ status: 400, body: { field: 'mode' } });
    expect((await api.call('POST', '/api/runner-mode', { token, body: { mode: 'default' } })).status).toBe(200);
    expect((await api.call('POST', '/api/settings', { token, body: { flySessionsRegion: 'ams' } })).status).toBe(200);
    for (const [body, field] of [
      [{ flySessionsRegion: 'Amsterdam' }, 'flySessionsRegion'],
      [{ flySessionsApp: 'No Spaces Allowed' }, 'flySessionsApp'],
      [{ theme: 'dark' }, 'theme'],
      [{}, 'body'],
    ] as const) {
      expect(await api.call('POST', '/api/settings', { token, body }), JSON.stringify(body)).toMatchObject({ status: 400, body: { field } });
    }
  });

  it('serves an OpenAPI 3.1 document listing every operation of this module, and 404s unknown /api paths', async () => {
    const doc = await api.call('GET', '/api/openapi.json', { token });
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    const paths = doc.body.paths as Record<string, Record<string, unknown>>;
    for (const e of OURS) {
      const templated = e.path
        .split('?')[0]!
        .replace('/WALK', '/{teamKey}')
        .replace('/some-job/', '/{jobId}/')
        .replace('/some-issue', '/{issueId}');
      expect(paths[templated]?.[e.method.toLowerCase()], `${e.method} ${templated}`).toBeDefined();
    }
    expect(paths['/api/auth']?.post).toMatchObject({ security: [] });
    const unknown = await api.call('GET', '/api/no-such-thing', { token });
    expect(unknown).toMatchObject({ status: 404, body: { error: 'not_found' } });
  });

  it('POST /api/auth/logout revokes the token it carries', async () => {
    const own = await api.login(SECRETS.adminAccessCode);
    expect((await api.call('POST', '/api/auth/logout', { token: own })).status).toBe(200);
    expect((await api.call('GET', '/api/mappings', { token: own })).status).toBe(401);
    expect((await api.call('GET', '/api/mappings', { token })).status).toBe(200);
  });
});

describe('every operator endpoint with ADMIN_ACCESS_CODE unset', () => {
  let h: OrchestratorHarness;
  let api: ApiClient;

  beforeAll(async () => {
    h = await startHarness({ ADMIN_ACCESS_CODE: '' });
    api = apiClient(h.orchestrator.url);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('answers the JSON 404 of an unknown route for /api/* and /admin, token or not', async () => {
    const reference = await api.call('GET', '/no-such-route');
    expect(reference.status).toBe(404);
    for (const e of [...ALL, { method: 'GET', path: '/admin' } as Endpoint, { method: 'GET', path: '/admin/projects' } as Endpoint, { method: 'GET', path: '/api' } as Endpoint]) {
      for (const token of [undefined, 'A'.repeat(43)]) {
        const answer = await api.call(e.method, e.path, { ...(token ? { token } : {}), ...(e.body !== undefined ? { body: e.body } : {}) });
        const path = e.path.split('?')[0];
        expect(answer.status, `${e.method} ${e.path}`).toBe(404);
        expect(answer.body).toEqual({ error: 'not_found', message: `No route for ${e.method} ${path}` });
        expect(answer.headers.get('content-type')).toBe(reference.headers.get('content-type'));
        expect(answer.headers.get('www-authenticate')).toBeNull();
      }
    }
  });

  it('leaves the GitHub webhook under /api to its own HMAC check', async () => {
    const answer = await api.call('POST', '/api/github/webhook', { body: { zen: 'hi' }, headers: { 'x-github-event': 'ping', 'x-github-delivery': 'd-1' } });
    expect(answer.status).toBe(401);
  });
});
