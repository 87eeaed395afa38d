import { afterEach, describe, expect, it } from 'vitest';
import { ACCESS_CODE, startApiApp, type ApiApp } from './support/api-app.js';

describe('runner mode and settings precedence', () => {
  let app: ApiApp | undefined;
  afterEach(async () => {
    await app?.stop();
    app = undefined;
  });

  it('with RUNNER_MODE set, stores the mode but reports that the environment wins until removed and restarted', async () => {
    app = await startApiApp({ accessCode: ACCESS_CODE, runnerModeOverride: 'gha' });
    const token = await app.api.login(ACCESS_CODE);
    const before = await app.api.call('GET', '/api/runner-mode', { token });
    expect(before.body).toMatchObject({ stored: null, effective: 'gha', envOverride: true });
    const saved = await app.api.call('POST', '/api/runner-mode', { token, body: { mode: 'local' } });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ stored: 'local', effective: 'gha', envOverride: true });
    expect(String(saved.body.note)).toMatch(/no effect until the variable is removed and the orchestrator restarted/);
    expect(await app.store.settings.get('runnerMode')).toBe('local');
    expect((await app.api.call('GET', '/api/runner-mode', { token })).body).toMatchObject({ stored: 'local', effective: 'gha', envOverride: true });
  });

  it('without RUNNER_MODE the stored mode is the effective one', async () => {
    app = await startApiApp({ accessCode: ACCESS_CODE });
    const token = await app.api.login(ACCESS_CODE);
    const saved = await app.api.call('POST', '/api/runner-mode', { token, body: { mode: 'shadow' } });
    expect(saved.body).toMatchObject({ stored: 'shadow', effective: 'shadow', envOverride: false });
  });

  it('answers stored and runtime values: the environment beats the store, and says when a restart is needed', async () => {
    app = await startApiApp({ accessCode: ACCESS_CODE, fly: { sessionsRegion: 'iad' } });
    const token = await app.api.login(ACCESS_CODE);
    const initial = (await app.api.call('GET', '/api/settings', { token })).body.settings as Record<string, Record<string, unknown>>;
    expect(initial.flySessionsApp).toEqual({ stored: null, env: null, runtime: 'ai-implement-sessions', source: 'default', envOverride: false, restartRequired: false, envVar: 'FLY_SESSIONS_APP' });
    expect(initial.flySessionsRegion).toMatchObject({ stored: null, env: 'iad', runtime: 'iad', source: 'env', restartRequired: false });

    const saved = await app.api.call('POST', '/api/settings', { token, body: { flySessionsApp: 'my-sessions', flySessionsRegion: 'ams' } });
    expect(saved.status).toBe(200);
    const after = saved.body.settings as Record<string, Record<string, unknown>>;
    expect(after.flySessionsApp).toMatchObject({ stored: 'my-sessions', runtime: 'my-sessions', source: 'stored', restartRequired: false });
    expect(after.flySessionsRegion).toMatchObject({ stored: 'ams', env: 'iad', runtime: 'iad', source: 'env', envOverride: true, restartRequired: true });
    expect(String(saved.body.note)).toContain('FLY_SESSIONS_REGION');

    const cleared = await app.api.call('POST', '/api/settings', { token, body: { flySessionsApp: null } });
    expect((cleared.body.settings as Record<string, Record<string, unknown>>).flySessionsApp).toMatchObject({ stored: null, source: 'default', runtime: 'ai-implement-sessions' });
    const audit = (await app.store.audit.list({ action: 'settings.update' })).items;
    expect(audit[0]).toMatchObject({ before: { flySessionsApp: 'my-sessions' }, after: { flySessionsApp: null } });
    expect(audit[1]).toMatchObject({ before: { flySessionsApp: null, flySessionsRegion: null }, after: { flySessionsApp: 'my-sessions', flySessionsRegion: 'ams' } });
  });
});
