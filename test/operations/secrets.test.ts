import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretRegistry } from '../../src/config/index.js';
import { createSecretsRoutes } from '../../src/http/api/secrets-routes.js';
import { createFlyAppClient } from '../../src/runners/fly/create-fly-app-client.js';
import { createSecretsService, type SecretsService } from '../../src/operations/secrets-service.js';
import { planTeamSecrets, teamSecretPlanEnv } from '../../src/operations/team-secret-plan.js';
import { applyTeamSecrets } from '../../src/runner/team-secrets.js';
import { FlyEmulator } from '../../src/sandbox/fly/index.js';
import { createMemoryStore } from '../../src/store/memory/create-memory-store.js';
import type { Store } from '../../src/store/store.js';
import { mappingOf, startApi, type ApiClient } from './support/api-client.js';

const APP = 'sessions-app';

describe('secrets as Fly app secrets (API against the Fly emulator)', () => {
  const fly = new FlyEmulator({ apps: [APP] });
  let store: Store;
  let service: SecretsService;
  let api: ApiClient;
  const registry = new SecretRegistry();

  beforeAll(async () => {
    await fly.start();
    store = createMemoryStore();
    await store.open();
    for (const teamKey of ['ENG', 'OPS']) await store.mappings.upsert(mappingOf({ teamKey, owner: 'acme', repo: teamKey.toLowerCase(), defaultBranch: 'main', executionMode: 'fly-machines' }));
    const client = createFlyAppClient({ client: { token: fly.token, apiUrl: fly.apiUrl, graphqlUrl: fly.graphqlUrl }, app: () => APP });
    service = createSecretsService({ fly: client, store, clock: Date.now, registerSecret: registry.register });
    api = await startApi(store, [createSecretsRoutes({ secrets: service })]);
  });

  afterAll(async () => {
    await api?.close();
    await store?.close();
    await fly.stop();
  });

  it('sets, lists and deletes a team secret stored under the team prefix, never answering its value', async () => {
    const set = await api.call('POST', '/api/mappings/ENG/secrets', { name: 'MY_TOKEN', value: 'eng-token-value' });
    expect(set.status).toBe(201);
    expect(set.body).toMatchObject({ name: 'MY_TOKEN', storedName: 'ENG_MY_TOKEN' });
    expect(fly.secretValues(APP)).toMatchObject({ ENG_MY_TOKEN: 'eng-token-value' });
    await api.call('POST', '/api/mappings/OPS/secrets', { name: 'MY_TOKEN', value: 'ops-token-value' });

    const listed = await api.call('GET', '/api/mappings/ENG/secrets');
    expect(listed.status).toBe(200);
    expect(listed.body.secrets).toEqual([{ name: 'MY_TOKEN', storedName: 'ENG_MY_TOKEN', digest: expect.any(String), createdAt: expect.any(String) }]);
    expect(JSON.stringify([set.body, listed.body])).not.toContain('token-value');

    const deleted = await api.call('DELETE', '/api/mappings/OPS/secrets/MY_TOKEN');
    expect(deleted.status).toBe(200);
    expect(fly.secretValues(APP)).not.toHaveProperty('OPS_MY_TOKEN');
    expect((await api.call('DELETE', '/api/mappings/OPS/secrets/MY_TOKEN')).status).toBe(404);
    const audit = await store.audit.list();
    expect(audit.items.map((e) => `${e.action} ${e.target}`)).toEqual(expect.arrayContaining(['secret.set ENG_MY_TOKEN', 'secret.deleted OPS_MY_TOKEN']));
    expect(JSON.stringify(audit.items)).not.toContain('token-value');
    // The redactor learned both values as they were set: a run that prints one shows [REDACTED].
    expect(registry.redact('eng-token-value ops-token-value')).toBe('[REDACTED] [REDACTED]');
  });

  it('keeps global secrets apart from team secrets', async () => {
    const set = await api.call('POST', '/api/global-secrets', { name: 'NPM_TOKEN', value: 'npm-secret-value' });
    expect(set.status).toBe(201);
    expect(fly.secretValues(APP)).toMatchObject({ NPM_TOKEN: 'npm-secret-value' });
    const listed = await api.call('GET', '/api/global-secrets');
    expect((listed.body.secrets as Array<{ name: string }>).map((s) => s.name)).toEqual(['NPM_TOKEN']);
    expect(JSON.stringify(listed.body)).not.toContain('npm-secret-value');
    // A global name under a team prefix would silently become that team's secret.
    const clash = await api.call('POST', '/api/global-secrets', { name: 'ENG_OTHER', value: 'x' });
    expect(clash.status).toBe(400);
    expect(clash.body.message).toContain('/api/mappings/ENG/secrets');
    expect((await api.call('DELETE', '/api/global-secrets/ENG_MY_TOKEN')).status).toBe(404);
    expect((await api.call('DELETE', '/api/global-secrets/NPM_TOKEN')).status).toBe(200);
    expect(fly.secretValues(APP)).not.toHaveProperty('NPM_TOKEN');
  });

  it('refuses bad names and values with a 400 naming the field, and unknown mappings with a 404', async () => {
    for (const name of ['lower_case', '1STARTS_WITH_DIGIT', 'HAS-DASH', '', 'A'.repeat(101)]) {
      const answer = await api.call('POST', '/api/global-secrets', { name, value: 'v' });
      expect(answer.status, name).toBe(400);
      expect(answer.body.field).toBe('name');
    }
    const noValue = await api.call('POST', '/api/mappings/ENG/secrets', { name: 'OK_NAME' });
    expect(noValue.status).toBe(400);
    expect(noValue.body.field).toBe('value');
    expect((await api.call('POST', '/api/global-secrets')).status).toBe(400);
    expect((await api.call('DELETE', '/api/global-secrets/bad-name')).status).toBe(400);
    expect((await api.call('GET', '/api/mappings/NOPE/secrets')).status).toBe(404);
    expect((await api.call('POST', '/api/mappings/NOPE/secrets', { name: 'X', value: 'v' })).status).toBe(404);
    expect(Object.keys(fly.secretValues(APP))).not.toContain('OK_NAME');
  });

  it('plans a run’s secrets: its own unprefixed, other teams’ removed, globals kept', async () => {
    await api.call('POST', '/api/mappings/OPS/secrets', { name: 'DEPLOY_KEY', value: 'ops-deploy' });
    await api.call('POST', '/api/global-secrets', { name: 'SHARED', value: 'shared-value' });
    const eng = (await store.mappings.get('ENG'))!;
    const plan = await service.secretsPlanFor(eng);
    expect(plan).toEqual({ prefix: 'ENG_', teamSecrets: ['ENG_MY_TOKEN'], foreignSecrets: ['OPS_DEPLOY_KEY'] });
    const env = await service.secretsEnvFor(eng);
    expect(env).toEqual({ AI_IMPLEMENT_TEAM_SECRET_PREFIX: 'ENG_', AI_IMPLEMENT_TEAM_SECRETS: 'ENG_MY_TOKEN', AI_IMPLEMENT_FOREIGN_SECRETS: 'OPS_DEPLOY_KEY' });

    // What the machine's environment looks like (Fly gives it every app secret), and after the runner's rewrite.
    const machineEnv = { ...fly.secretValues(APP), ...env, PATH: '/usr/bin' };
    const rewritten = applyTeamSecrets(machineEnv);
    expect(rewritten).toMatchObject({ MY_TOKEN: 'eng-token-value', SHARED: 'shared-value', PATH: '/usr/bin' });
    expect(rewritten).not.toHaveProperty('OPS_DEPLOY_KEY');
    expect(rewritten).not.toHaveProperty('ENG_MY_TOKEN');
  });

  it('attributes a name to the longest team prefix and leaves an environment without a plan unchanged', () => {
    const plan = planTeamSecrets('ENG', ['ENG_TOKEN', 'ENG_WEB_TOKEN', 'GLOBAL'], ['ENG', 'ENG_WEB']);
    expect(plan).toEqual({ prefix: 'ENG_', teamSecrets: ['ENG_TOKEN'], foreignSecrets: ['ENG_WEB_TOKEN'] });
    const env = { ENG_TOKEN: 'a', ENG_WEB_TOKEN: 'b', GLOBAL: 'c' };
    expect(applyTeamSecrets({ ...env, ...teamSecretPlanEnv(plan) })).toMatchObject({ TOKEN: 'a', GLOBAL: 'c' });
    expect(applyTeamSecrets({ ...env, ...teamSecretPlanEnv(plan) })).not.toHaveProperty('ENG_WEB_TOKEN');
    expect(applyTeamSecrets(env)).toEqual(env);
    // A team list naming a variable outside the prefix cannot rename it.
    expect(applyTeamSecrets({ PATH: '/bin', AI_IMPLEMENT_TEAM_SECRET_PREFIX: 'ENG_', AI_IMPLEMENT_TEAM_SECRETS: 'PATH' })).toMatchObject({ PATH: '/bin' });
  });

  it('answers 503 when Fly is not configured', async () => {
    const bare = await startApi(store, [createSecretsRoutes({ secrets: undefined })]);
    try {
      const answer = await bare.call('GET', '/api/global-secrets');
      expect(answer.status).toBe(503);
      expect(answer.body.message).toContain('FLY_API_TOKEN');
    } finally {
      await bare.close();
    }
  });
});
