import { describe, expect, it } from 'vitest';
import { createAdminCommands } from '../../src/admin/admin-commands.js';
import { parseMapping } from '../../src/domain/mapping-schema.js';
import { createMemoryStore } from '../../src/store/memory/create-memory-store.js';

const input = (extraEnv: Record<string, string>) => ({ teamKey: 'ENG', owner: 'acme', repo: 'app', defaultBranch: 'main', executionMode: 'github-actions', extraEnv });
const noEnv = { runnerModeOverride: undefined, flySessionsApp: undefined, flySessionsRegion: undefined };

describe('a mapping’s credential env values through the admin commands', () => {
  it('refuses a new credential in extraEnv, naming the field and the secrets route, and stores nothing', async () => {
    const store = createMemoryStore();
    await store.open();
    const commands = createAdminCommands({ store, clock: Date.now, env: noEnv });
    const refused = commands.saveMapping(input({ NPM_TOKEN: 'npm-token-real-value', NODE_ENV: 'test' }), 'session-1');
    await expect(refused).rejects.toMatchObject({ field: 'extraEnv.NPM_TOKEN', message: expect.stringContaining('POST /api/mappings/ENG/secrets') });
    expect(await store.mappings.get('ENG')).toBeUndefined();
    await commands.saveMapping(input({ NODE_ENV: 'test' }), 'session-1');
    await expect(commands.updateMapping('ENG', { extraEnv: { SENTRY_DSN: 'https://key@sentry.example/1' } }, 'session-1')).rejects.toMatchObject({ field: 'extraEnv.SENTRY_DSN' });
    expect((await store.mappings.get('ENG'))!.extraEnv).toEqual({ NODE_ENV: 'test' });
    await store.close();
  });

  it('keeps a value stored before the broker when a client posts back the placeholder, and keeps it out of the audit trail', async () => {
    const store = createMemoryStore();
    await store.open();
    const legacy = parseMapping(input({ NPM_TOKEN: 'npm-token-real-value', NODE_ENV: 'test' }), new Date().toISOString());
    if (!legacy.ok) throw new Error('bad fixture');
    await store.mappings.upsert(legacy.mapping);
    const commands = createAdminCommands({ store, clock: Date.now, env: noEnv });
    const { mapping } = await commands.saveMapping(input({ NPM_TOKEN: '[REDACTED]', NODE_ENV: 'production', NEW_KEY: '[REDACTED]' }), 'session-1');
    // An unknown name has nothing to keep: the placeholder is what was sent.
    expect(mapping.extraEnv).toEqual({ NPM_TOKEN: 'npm-token-real-value', NODE_ENV: 'production', NEW_KEY: '[REDACTED]' });
    // Unchanged, it may stay (the next start moves it into the broker); a PATCH of another field does not trip over it.
    expect((await commands.updateMapping('ENG', { paused: true }, 'session-1')).extraEnv.NPM_TOKEN).toBe('npm-token-real-value');
    await commands.deleteMapping('ENG', 'session-1');
    const audit = JSON.stringify((await store.audit.list()).items);
    expect(audit).not.toContain('npm-token-real-value');
    expect(audit).toContain('"NODE_ENV":"production"');
    await store.close();
  });
});

describe('PATCH of a mapping (JSON merge patch over the stored mapping)', () => {
  it('changes any field without the rest, merges nested objects, removes with null, and validates the whole', async () => {
    const store = createMemoryStore();
    await store.open();
    const commands = createAdminCommands({ store, clock: Date.now, env: noEnv });
    await commands.saveMapping({ ...input({ NODE_ENV: 'test', DEBUG: '1' }), models: { 'claude-code': 'claude-sonnet-4-5' } }, 'session-1');
    const patched = await commands.updateMapping('ENG', { maxJobMinutes: 120, extraEnv: { DEBUG: null, LOG: 'verbose' }, defaultBranch: 'develop' }, 'session-1');
    expect(patched).toMatchObject({ maxJobMinutes: 120, defaultBranch: 'develop', extraEnv: { NODE_ENV: 'test', LOG: 'verbose' }, models: { 'claude-code': 'claude-sonnet-4-5' }, owner: 'acme' });
    expect(patched.extraEnv).not.toHaveProperty('DEBUG');
    expect((await commands.updateMapping('ENG', { models: null }, 'session-1')).models).toBeUndefined();
    // The result is checked as a whole: bedrock without a region is refused, naming the field.
    await expect(commands.updateMapping('ENG', { provider: 'bedrock' }, 'session-1')).rejects.toMatchObject({ field: 'awsRegion' });
    await expect(commands.updateMapping('ENG', { teamKey: 'OPS' }, 'session-1')).rejects.toMatchObject({ field: 'teamKey' });
    await expect(commands.updateMapping('ENG', JSON.parse('{"__proto__": {"paused": true}}'), 'session-1')).rejects.toMatchObject({ field: '__proto__' });
    await expect(commands.updateMapping('ENG', {}, 'session-1')).rejects.toMatchObject({ field: 'body' });
    expect(await store.mappings.get('ENG')).toMatchObject({ provider: 'anthropic', maxJobMinutes: 120, paused: false });
    const audit = (await store.audit.list()).items.filter((e) => e.action === 'mapping.update');
    expect(audit.find((e) => JSON.stringify(e.before).includes('models'))).toMatchObject({ before: { models: { 'claude-code': 'claude-sonnet-4-5' } }, after: {} });
    await store.close();
  });
});
