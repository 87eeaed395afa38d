import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRETS, startHarness, type OrchestratorHarness } from '../support/orchestrator-harness.js';
import { apiClient, type ApiClient } from './support/api-client.js';

/** 400 answers keep `problems: [{ field, message }]`; the message reads after the field's name. */
describe('API validation errors in sentences', () => {
  let h: OrchestratorHarness;
  let api: ApiClient;
  let token: string;

  beforeAll(async () => {
    h = await startHarness();
    api = apiClient(h.orchestrator.url);
    token = await api.login(SECRETS.adminAccessCode);
  });
  afterAll(async () => {
    await h?.stop();
  });

  const problemsOf = async (method: string, path: string, body?: unknown) => {
    const answer = await api.call(method, path, { token, ...(body !== undefined ? { body } : {}) });
    expect(answer.status, `${method} ${path}`).toBe(400);
    expect(answer.body.error).toBe('invalid_request');
    return { problems: answer.body.problems as { field: string; message: string }[], message: String(answer.body.message) };
  };

  it('a mapping without defaultBranch, with a bad enum, a wrong type and an unknown field', async () => {
    const { problems, message } = await problemsOf('POST', '/api/mappings', { teamKey: 'WEB', owner: 'acme', repo: 'web-app', executionMode: 'k8s', maxTurns: '50', defaultbranch: 'main' });
    expect(problems).toEqual(
      expect.arrayContaining([
        { field: 'defaultBranch', message: 'is required: the branch PRs target, e.g. "main"' },
        { field: 'executionMode', message: 'must be one of "github-actions", "fly-machines", "local" (got "k8s")' },
        { field: 'maxTurns', message: 'must be a number, not text, e.g. 50' },
        { field: 'defaultbranch', message: 'is not a field here; did you mean defaultBranch?' },
      ]),
    );
    expect(message).toContain('defaultBranch is required: the branch PRs target, e.g. "main"');
    expect(message).not.toMatch(/Invalid input|received undefined/);
  });

  it('validated(): a runner mode outside the list, and a misspelt setting', async () => {
    expect((await problemsOf('POST', '/api/runner-mode', { mode: 'warp' })).problems).toEqual([
      { field: 'mode', message: 'must be one of "default", "gha", "fly", "local", "shadow" (got "warp")' },
    ]);
    expect((await problemsOf('POST', '/api/settings', { flySessionRegion: 'ams' })).problems).toEqual(
      expect.arrayContaining([{ field: 'flySessionRegion', message: 'is not a field here; did you mean flySessionsRegion?' }]),
    );
  });

  it('parseInput(): a query number out of range names its bounds', async () => {
    const { problems, message } = await problemsOf('GET', '/api/pulls?days=0');
    expect(problems).toEqual([{ field: 'days', message: 'must be at least 1' }]);
    expect(message).toBe('Invalid request: days must be at least 1');
  });
});
