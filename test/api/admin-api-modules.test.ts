import { afterEach, describe, expect, it } from 'vitest';
import { ACCESS_CODE, createEchoModule, startApiApp, type ApiApp } from './support/api-app.js';

describe('route modules from the composition root', () => {
  let app: ApiApp | undefined;
  afterEach(async () => {
    await app?.stop();
    app = undefined;
  });

  it('mounts them behind the same guard and lists their operations in the OpenAPI document', async () => {
    app = await startApiApp({ accessCode: ACCESS_CODE, modules: [createEchoModule()] });
    expect((await app.api.call('POST', '/api/echo', { body: { word: 'hi' } })).status).toBe(401);
    const token = await app.api.login(ACCESS_CODE);
    expect(await app.api.call('POST', '/api/echo', { token, body: { word: 'hi' } })).toMatchObject({ status: 200, body: { echoed: 'hi' } });
    const doc = (await app.api.call('GET', '/api/openapi.json', { token })).body;
    const paths = doc.paths as Record<string, Record<string, Record<string, unknown>>>;
    const echo = paths['/api/echo']?.post;
    expect(echo).toMatchObject({ summary: 'Echo a word', requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { word: { type: 'string' } } } } } } });
    expect(Object.keys(echo?.responses ?? {})).toEqual(['200', '400', '401']);
    // Path parameters are templated, query schemas become parameters.
    expect(paths['/api/mappings/{teamKey}']?.patch).toMatchObject({ parameters: [{ name: 'teamKey', in: 'path', required: true }] });
    const logParams = (paths['/api/log']?.get?.parameters as { name: string }[]).map((p) => p.name);
    expect(logParams).toEqual(expect.arrayContaining(['limit', 'cursor', 'status', 'mapping', 'backend', 'trigger', 'from', 'to']));
  });

  it('with no access code, even the extra modules answer 404 like an unknown route', async () => {
    app = await startApiApp({ accessCode: undefined, modules: [createEchoModule()] });
    const answer = await app.api.call('POST', '/api/echo', { body: { word: 'hi' } });
    expect(answer).toMatchObject({ status: 404, body: { error: 'not_found', message: 'No route for POST /api/echo' } });
  });

  it('sessions expire after 24 hours on the injected clock', async () => {
    app = await startApiApp({ accessCode: ACCESS_CODE });
    const token = await app.api.login(ACCESS_CODE);
    app.advance(24 * 3_600_000 - 1_000);
    expect((await app.api.call('GET', '/api/dedup', { token })).status).toBe(200);
    app.advance(1_000);
    expect(await app.api.call('GET', '/api/dedup', { token })).toMatchObject({ status: 401, body: { error: 'invalid_token' } });
  });

  it('answers 503 with a clear message for the Jira routes when Jira is not configured', async () => {
    app = await startApiApp({ accessCode: ACCESS_CODE });
    const token = await app.api.call('POST', '/api/auth', { body: { code: ACCESS_CODE } }).then((a) => String(a.body.token));
    for (const [method, path, body] of [
      ['GET', '/api/jira/fields', undefined],
      ['GET', '/api/jira/field-options?fieldId=customfield_1', undefined],
      ['POST', '/api/jira/validate-jql', { jql: 'project = X' }],
    ] as const) {
      const answer = await app.api.call(method, path, { token, ...(body ? { body } : {}) });
      expect(answer.status, path).toBe(503);
      expect(answer.body).toMatchObject({ error: 'jira_not_configured', message: expect.stringContaining('JIRA_HOST') });
    }
  });

  it('guards paths whatever their letter case, since express routes match case-insensitively', async () => {
    app = await startApiApp({ accessCode: ACCESS_CODE });
    for (const path of ['/API/mappings', '/Api/Dedup', '/api/MAPPINGS/', '/api/mappings/']) {
      expect((await app.api.call('GET', path)).status, path).toBe(401);
    }
    await app.stop();
    app = await startApiApp({ accessCode: undefined });
    for (const path of ['/API/mappings', '/ADMIN', '/Admin/projects']) expect((await app.api.call('GET', path)).status, path).toBe(404);
  });
});
