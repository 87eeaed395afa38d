import { describe, expect, it } from 'vitest';
import { createAdminCommands } from '../../src/admin/admin-commands.js';
import { createMemoryStore } from '../../src/store/memory/create-memory-store.js';

const input = (extraEnv: Record<string, string>) => ({ teamKey: 'ENG', owner: 'acme', repo: 'app', defaultBranch: 'main', executionMode: 'github-actions', extraEnv });

/** `/api` shows credential env values as [REDACTED]; reading a mapping and saving it back must not lose them. */
describe('a mapping’s credential env values through the admin commands', () => {
  it('keeps the stored value when a client posts back the placeholder, and keeps such values out of the audit trail', async () => {
    const store = createMemoryStore();
    await store.open();
    const commands = createAdminCommands({ store, clock: Date.now, env: { runnerModeOverride: undefined, flySessionsApp: undefined, flySessionsRegion: undefined } });
    await commands.saveMapping(input({ NPM_TOKEN: 'npm-token-real-value', NODE_ENV: 'test' }), 'session-1');
    const { mapping } = await commands.saveMapping(input({ NPM_TOKEN: '[REDACTED]', NODE_ENV: 'production', NEW_KEY: '[REDACTED]' }), 'session-1');
    // An unknown name has nothing to keep: the placeholder is what was sent.
    expect(mapping.extraEnv).toEqual({ NPM_TOKEN: 'npm-token-real-value', NODE_ENV: 'production', NEW_KEY: '[REDACTED]' });
    await commands.deleteMapping('ENG', 'session-1');
    const audit = JSON.stringify((await store.audit.list()).items);
    expect(audit).not.toContain('npm-token-real-value');
    expect(audit).toContain('"NODE_ENV":"production"');
    await store.close();
  });
});
