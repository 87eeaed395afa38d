import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretRegistry } from '../../src/config/index.js';
import { createAdminCommands } from '../../src/admin/admin-commands.js';
import { createSecretsRoutes } from '../../src/http/api/secrets-routes.js';
import { createSecretBox, parseSecretsKey } from '../../src/operations/secret-box.js';
import { createSecretsService, type SecretsService } from '../../src/operations/secrets-service.js';
import { createMemoryStore } from '../../src/store/memory/create-memory-store.js';
import type { Store } from '../../src/store/store.js';
import { mappingOf, startApi, type ApiClient } from './support/api-client.js';

const KEY = randomBytes(32).toString('base64');
const OTHER_KEY = randomBytes(32).toString('hex');

describe('the secrets broker through the API', () => {
  let store: Store;
  let service: SecretsService;
  let api: ApiClient;
  const registry = new SecretRegistry();

  beforeAll(async () => {
    store = createMemoryStore();
    await store.open();
    for (const teamKey of ['ENG', 'OPS']) await store.mappings.upsert(mappingOf({ teamKey, owner: 'acme', repo: teamKey.toLowerCase(), defaultBranch: 'main', executionMode: 'fly-machines' }));
    service = createSecretsService({ store, clock: Date.now, box: createSecretBox(KEY), registerSecret: registry.register });
    api = await startApi(store, [createSecretsRoutes({ secrets: service })]);
  });

  afterAll(async () => {
    await api?.close();
    await store?.close();
  });

  it('sets, lists, rotates and deletes a mapping secret, answering names and fingerprints only', async () => {
    const set = await api.call('POST', '/api/mappings/ENG/secrets', { name: 'MY_TOKEN', value: 'eng-token-value' });
    expect(set.status).toBe(201);
    expect(set.body).toMatchObject({ name: 'MY_TOKEN', scope: 'mapping', teamKey: 'ENG', version: 1, fingerprint: expect.stringMatching(/^hmac-sha256:[0-9a-f]{16}$/) });
    await api.call('POST', '/api/mappings/OPS/secrets', { name: 'MY_TOKEN', value: 'ops-token-value' });

    const listed = await api.call('GET', '/api/mappings/ENG/secrets');
    expect(listed.status).toBe(200);
    expect(listed.body.secrets).toEqual([expect.objectContaining({ name: 'MY_TOKEN', teamKey: 'ENG', fingerprint: set.body.fingerprint })]);

    const rotated = await api.call('POST', '/api/mappings/ENG/secrets', { name: 'MY_TOKEN', value: 'eng-token-value-2' });
    expect(rotated.body).toMatchObject({ version: 2 });
    expect(rotated.body.fingerprint).not.toBe(set.body.fingerprint);

    expect((await api.call('DELETE', '/api/mappings/OPS/secrets/MY_TOKEN')).status).toBe(200);
    expect((await api.call('DELETE', '/api/mappings/OPS/secrets/MY_TOKEN')).status).toBe(404);
    const audit = await store.audit.list();
    expect(audit.items.map((e) => `${e.action} ${e.target}`)).toEqual(expect.arrayContaining(['secret.set mapping/ENG/MY_TOKEN', 'secret.rotated mapping/ENG/MY_TOKEN', 'secret.deleted mapping/OPS/MY_TOKEN']));

    // The values are nowhere in clear: not in an answer, the audit trail or the stored records.
    const everything = JSON.stringify([set.body, listed.body, rotated.body, audit.items, await store.secrets.list(), await store.mappings.list()]);
    for (const value of ['eng-token-value', 'ops-token-value']) expect(everything).not.toContain(value);
    // The redactor learned each value as it was set.
    expect(registry.redact('eng-token-value-2 ops-token-value')).toBe('[REDACTED] [REDACTED]');
  });

  it('hands a run its mapping secrets over the global ones, and none of another mapping', async () => {
    await api.call('POST', '/api/global-secrets', { name: 'SHARED', value: 'shared-value' });
    await api.call('POST', '/api/global-secrets', { name: 'MY_TOKEN', value: 'global-token' });
    await api.call('POST', '/api/mappings/OPS/secrets', { name: 'DEPLOY_KEY', value: 'ops-deploy' });
    const eng = (await store.mappings.get('ENG'))!;
    expect(await service.valuesFor(eng)).toEqual({ SHARED: 'shared-value', MY_TOKEN: 'eng-token-value-2' });
    const ops = (await store.mappings.get('OPS'))!;
    expect(await service.valuesFor(ops)).toEqual({ SHARED: 'shared-value', MY_TOKEN: 'global-token', DEPLOY_KEY: 'ops-deploy' });
    expect(((await api.call('GET', '/api/global-secrets')).body.secrets as Array<{ name: string }>).map((s) => s.name)).toEqual(['MY_TOKEN', 'SHARED']);
  });

  it('refuses bad, reserved and oversized input with a 400 naming the field, and unknown mappings with a 404', async () => {
    for (const name of ['lower_case', '1STARTS_WITH_DIGIT', 'HAS-DASH', '', 'A'.repeat(101), 'PATH', 'AI_IMPLEMENT_RUN_ID', 'GITHUB_TOKEN', 'LD_PRELOAD']) {
      const answer = await api.call('POST', '/api/global-secrets', { name, value: 'v' });
      expect(answer.status, name).toBe(400);
      expect(answer.body.field).toBe('name');
    }
    const reserved = await api.call('POST', '/api/global-secrets', { name: 'GIT_ASKPASS', value: 'v' });
    expect(reserved.body.message).toContain('reserved for the runner');
    const noValue = await api.call('POST', '/api/mappings/ENG/secrets', { name: 'OK_NAME' });
    expect(noValue.status).toBe(400);
    expect(noValue.body.field).toBe('value');
    expect((await api.call('POST', '/api/global-secrets', { name: 'BIG', value: 'x'.repeat(40_000) })).status).toBe(400);
    expect((await api.call('POST', '/api/global-secrets')).status).toBe(400);
    expect((await api.call('DELETE', '/api/global-secrets/bad-name')).status).toBe(400);
    expect((await api.call('GET', '/api/mappings/NOPE/secrets')).status).toBe(404);
    expect((await api.call('POST', '/api/mappings/NOPE/secrets', { name: 'X', value: 'v' })).status).toBe(404);
    expect((await store.secrets.list()).map((s) => s.name)).not.toContain('OK_NAME');
  });

  it('answers 503 naming SECRETS_ENCRYPTION_KEY when no key is set, and still lists names', async () => {
    const keyless = createSecretsService({ store, clock: Date.now, box: undefined });
    const bare = await startApi(store, [createSecretsRoutes({ secrets: keyless })]);
    try {
      const answer = await bare.call('POST', '/api/global-secrets', { name: 'NEW_ONE', value: 'v' });
      expect(answer.status).toBe(503);
      expect(answer.body.message).toContain('SECRETS_ENCRYPTION_KEY');
      expect((await bare.call('GET', '/api/global-secrets')).status).toBe(200);
      // A run of a mapping with stored secrets cannot get them: the dispatcher is told why.
      await expect(keyless.valuesFor((await store.mappings.get('ENG'))!)).rejects.toThrow(/SECRETS_ENCRYPTION_KEY/);
    } finally {
      await bare.close();
    }
  });
});

describe('a deleted project', () => {
  it('takes its secrets with it, so a project made later under the same key starts with none', async () => {
    const store = createMemoryStore();
    await store.open();
    const commands = createAdminCommands({ store, clock: Date.now, env: { runnerModeOverride: undefined, flySessionsApp: undefined, flySessionsRegion: undefined } });
    const service = createSecretsService({ store, clock: Date.now, box: createSecretBox(KEY) });
    const input = { teamKey: 'GONE', owner: 'acme', repo: 'gone', defaultBranch: 'main' };
    await commands.saveMapping(input, 'test');
    await service.setTeam('GONE', 'DEPLOY_TOKEN', 'gone-value', 'test');
    await service.setGlobal('SHARED', 'shared-value', 'test');
    await commands.deleteMapping('GONE', 'test');
    expect((await store.secrets.list()).map((s) => s.id)).toEqual(['global/SHARED']);
    const audit = (await store.audit.list({ action: 'mapping.delete' })).items[0];
    expect(audit).toMatchObject({ before: { secretsDeleted: ['DEPLOY_TOKEN'] } });
    await commands.saveMapping(input, 'test');
    expect(await service.valuesFor((await store.mappings.get('GONE'))!)).toEqual({ SHARED: 'shared-value' });
    await store.close();
  });
});

describe('the sealed value', () => {
  it('opens only with its key, under its own id, unaltered', () => {
    const box = createSecretBox(KEY);
    const { sealed, keyId } = box.seal('sk-ant-value', 'global/ANTHROPIC_API_KEY');
    expect(Buffer.from(sealed, 'base64').toString('latin1')).not.toContain('sk-ant-value');
    expect(box.open(sealed, keyId, 'global/ANTHROPIC_API_KEY')).toBe('sk-ant-value');
    // Moved onto another name: refused.
    expect(() => box.open(sealed, keyId, 'mapping/ENG/ANTHROPIC_API_KEY')).toThrow(/altered or belongs to another secret/);
    const raw = Buffer.from(sealed, 'base64');
    raw[14] = (raw[14] ?? 0) ^ 1;
    expect(() => box.open(raw.toString('base64'), keyId, 'global/ANTHROPIC_API_KEY')).toThrow(/altered/);
    expect(() => createSecretBox(OTHER_KEY).open(sealed, keyId, 'global/ANTHROPIC_API_KEY')).toThrow(/neither SECRETS_ENCRYPTION_KEY/);
    // Two seals of one value differ (fresh nonce); their fingerprints agree.
    expect(box.seal('sk-ant-value', 'x').sealed).not.toBe(box.seal('sk-ant-value', 'x').sealed);
    expect(box.fingerprint('sk-ant-value')).toBe(box.fingerprint('sk-ant-value'));
  });

  it('refuses a key that is not 32 bytes of base64 or hex, saying how to make one', () => {
    for (const bad of ['short', 'correct horse battery staple correct horse', randomBytes(16).toString('base64'), randomBytes(31).toString('hex')]) {
      expect(() => parseSecretsKey(bad)).toThrow(/openssl rand -base64 32/);
    }
    expect(parseSecretsKey(KEY)).toHaveLength(32);
    expect(parseSecretsKey(OTHER_KEY)).toHaveLength(32);
    expect(() => createSecretBox(KEY, KEY)).toThrow(/SECRETS_ENCRYPTION_KEY_PREVIOUS/);
  });

  it('re-seals under the new key at start after a rotation, and moves credentials out of plain extraEnv', async () => {
    const store = createMemoryStore();
    await store.open();
    await store.mappings.upsert(mappingOf({ teamKey: 'ENG', owner: 'acme', repo: 'eng', defaultBranch: 'main', extraEnv: { NPM_TOKEN: 'legacy-npm-token', NODE_ENV: 'test' } }));
    const before = createSecretsService({ store, clock: Date.now, box: createSecretBox(OTHER_KEY) });
    await before.setGlobal('SHARED', 'shared-value', 'test');

    const registry = new SecretRegistry();
    const after = createSecretsService({ store, clock: Date.now, box: createSecretBox(KEY, OTHER_KEY), registerSecret: registry.register });
    const report = await after.prepare();
    expect(report).toEqual({ resealed: 1, movedFromExtraEnv: ['ENG/NPM_TOKEN'], unreadable: [] });
    const keyId = createSecretBox(KEY).keyId;
    expect((await store.secrets.list()).every((s) => s.keyId === keyId)).toBe(true);
    expect((await store.mappings.get('ENG'))!.extraEnv).toEqual({ NODE_ENV: 'test' });
    // Opens with the new key alone now.
    const next = createSecretsService({ store, clock: Date.now, box: createSecretBox(KEY) });
    expect(await next.valuesFor((await store.mappings.get('ENG'))!)).toEqual({ SHARED: 'shared-value', NPM_TOKEN: 'legacy-npm-token' });
    expect(registry.redact('shared-value legacy-npm-token')).toBe('[REDACTED] [REDACTED]');
    // With a key that opens none of them: reported, not thrown.
    const wrong = createSecretsService({ store, clock: Date.now, box: createSecretBox(randomBytes(32).toString('base64')) });
    expect((await wrong.prepare()).unreadable).toEqual(['global/SHARED', 'mapping/ENG/NPM_TOKEN']);
    await store.close();
  });
});
