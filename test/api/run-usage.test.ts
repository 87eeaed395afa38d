import { intent } from '../store/store-fixtures.js';
import { afterEach, describe, expect, it } from 'vitest';
import { ACCESS_CODE, startApiApp, type ApiApp } from './support/api-app.js';

const USAGE = {
  costUsd: 0.0421,
  tokens: { input: 12_345, output: 2_345, cacheRead: 10_000, cacheWrite: 500 },
  agent: { runtime: 'claude-code', model: 'claude-sonnet-4-5', provider: 'anthropic', fallbackFrom: ['codex'] },
};

describe('/api run answers carry the agent, its tokens and its cost', () => {
  let app: ApiApp | undefined;
  afterEach(async () => {
    await app?.stop();
    app = undefined;
  });

  async function seedFinishedRun(target: ApiApp): Promise<string> {
    const claim = await target.store.runs.claimTicket(intent({ id: 'run-usage-1' }));
    if (!claim.claimed) throw new Error('claim failed');
    await target.store.runs.updateRun(claim.run.id, { status: 'succeeded', finishedAt: new Date(target.now()).toISOString(), ...USAGE });
    return claim.run.id;
  }

  it('answers them on GET /api/jobs/:jobId/steps and in the dispatch log', async () => {
    app = await startApiApp({ accessCode: ACCESS_CODE });
    const id = await seedFinishedRun(app);
    const token = await app.api.login(ACCESS_CODE);
    const job = await app.api.call('GET', `/api/jobs/${id}/steps`, { token });
    expect(job.status).toBe(200);
    expect(job.body.run).toMatchObject(USAGE);
    const log = await app.api.call('GET', '/api/log', { token });
    expect((log.body.entries as unknown[])[0]).toMatchObject({ id, ...USAGE });
  });

  it('describes them in the OpenAPI document', async () => {
    app = await startApiApp({ accessCode: ACCESS_CODE });
    const token = await app.api.login(ACCESS_CODE);
    const doc = (await app.api.call('GET', '/api/openapi.json', { token })).body as { paths: Record<string, Record<string, { responses: Record<string, { content: Record<string, { schema: Record<string, unknown> }> }> }>> };
    const schemaOf = (path: string) => doc.paths[path]?.get?.responses['200']?.content['application/json']?.schema as { properties: Record<string, { items?: { properties: Record<string, unknown> }; properties?: Record<string, unknown> }> };
    for (const run of [schemaOf('/api/jobs/{jobId}/steps').properties.run!.properties!, schemaOf('/api/log').properties.entries!.items!.properties]) {
      expect(run.costUsd).toMatchObject({ type: 'number' });
      expect(run.tokens).toMatchObject({ type: 'object', properties: { input: { type: 'integer' }, output: { type: 'integer' }, cacheRead: { type: 'integer' }, cacheWrite: { type: 'integer' } } });
      expect(run.agent).toMatchObject({ type: 'object', properties: { runtime: { type: 'string' }, model: { type: 'string' }, provider: { type: 'string' }, fallbackFrom: { type: 'array' } } });
    }
  });
});
