import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubAppClient } from '../../src/github/api/github-app-client.js';
import { checkConfigStatus, type ConfigCheck, type ConfigFacts } from '../../src/operations/config-status.js';
import { createFlyAppClient } from '../../src/runners/fly/create-fly-app-client.js';
import { FlyEmulator } from '../../src/sandbox/fly/index.js';
import { GitHubEmulator } from '../../src/sandbox/github/index.js';
import { LinearEmulator } from '../../src/sandbox/linear/index.js';
import { createMemoryStore } from '../../src/store/memory/create-memory-store.js';
import type { Store } from '../../src/store/store.js';
import { createLinearTracker } from '../../src/trackers/linear/index.js';
import { createTestLogger } from '../support/test-logger.js';
import { mappingOf } from './support/api-client.js';

const ALL_SET: ConfigFacts = {
  linearConfigured: true,
  jiraConfigured: false,
  githubAppConfigured: true,
  runnerTokenSecret: true,
  runnerCallbackBaseUrl: 'https://orchestrator.example.com',
  gapFillTriggerSecret: true,
  flyConfigured: true,
};

describe('config status against the emulators', () => {
  const github = new GitHubEmulator();
  const linear = new LinearEmulator();
  const fly = new FlyEmulator({ apps: ['sessions'] });
  let store: Store;
  let gh: GitHubAppClient;

  beforeAll(async () => {
    await Promise.all([github.start(), linear.start(), fly.start()]);
    github.state.addRepo({ owner: 'acme', name: 'web', defaultBranch: 'main' });
    store = createMemoryStore();
    await store.open();
    await store.mappings.upsert(mappingOf({ teamKey: 'WEB', owner: 'acme', repo: 'web', defaultBranch: 'main', executionMode: 'fly-machines' }));
    gh = new GitHubAppClient({ appId: github.appId, privateKey: github.privateKeyPem, baseUrl: github.gheBaseUrl, log: createTestLogger(undefined, 'silent').log });
  });

  afterAll(async () => {
    await store?.close();
    await Promise.all([github.stop(), linear.stop(), fly.stop()]);
  });

  const flyClient = (app: string, token = fly.token) => createFlyAppClient({ client: { token, apiUrl: fly.apiUrl, graphqlUrl: fly.graphqlUrl }, app: () => app });
  const linearTracker = (apiKey: string) => createLinearTracker({ apiKey, apiUrl: linear.apiUrl });
  const byName = (checks: ConfigCheck[]) => Object.fromEntries(checks.map((c) => [c.name, c]));

  async function run(facts: Partial<ConfigFacts>, options: { linearKey?: string; flyApp?: string; github?: boolean } = {}) {
    const merged = { ...ALL_SET, ...facts };
    const fc = flyClient(options.flyApp ?? 'sessions');
    return byName(
      await checkConfigStatus({
        facts: merged,
        store,
        trackers: merged.linearConfigured ? { linear: linearTracker(options.linearKey ?? linear.apiKey) } : {},
        ...(merged.githubAppConfigured && options.github !== false ? { reachableRepos: () => gh.reachableRepos() } : {}),
        ...(merged.flyConfigured ? { probeFly: async () => void (await fc.listSecrets()) } : {}),
      }),
    );
  }

  it('passes every check when everything is set and reachable', async () => {
    const checks = await run({});
    for (const check of Object.values(checks)) {
      expect(check.ok, `${check.name}: ${check.detail}`).toBe(true);
      expect(check.fix).toBeUndefined();
    }
    expect(Object.keys(checks).sort()).toEqual(['fly', 'gap-fill-trigger', 'github-app', 'github-repo:acme/web', 'runner-callback', 'ticketing:linear']);
  });

  it('names each missing setting with its fix', async () => {
    const checks = await run({ linearConfigured: false, githubAppConfigured: false, runnerTokenSecret: false, gapFillTriggerSecret: false, flyConfigured: false });
    expect(checks.ticketing).toMatchObject({ ok: false, fix: expect.stringContaining('LINEAR_API_KEY') });
    expect(checks['github-app']).toMatchObject({ ok: false, fix: expect.stringContaining('APP_ID') });
    expect(checks['runner-callback']).toMatchObject({ ok: false, fix: expect.stringContaining('RUNNER_TOKEN_SECRET') });
    expect(checks['gap-fill-trigger']).toMatchObject({ ok: false, fix: expect.stringContaining('GAP_FILL_TRIGGER_SECRET') });
    // The WEB mapping runs on Fly, so an unconfigured Fly is a problem.
    expect(checks.fly).toMatchObject({ ok: false, fix: expect.stringContaining('FLY_API_TOKEN') });
    const noUrl = await run({ runnerCallbackBaseUrl: undefined });
    expect(noUrl['runner-callback']).toMatchObject({ ok: false, fix: expect.stringContaining('RUNNER_CALLBACK_BASE_URL') });
    // In sandbox mode every runner is on this machine: no warning the newcomer did not cause.
    const sandbox = await run({ runnerCallbackBaseUrl: undefined, sandbox: true });
    expect(sandbox['runner-callback']).toMatchObject({ ok: true, detail: expect.stringContaining('Sandbox mode') });
  });

  it('reports credentials the services reject and repositories the app cannot reach', async () => {
    await store.mappings.upsert(mappingOf({ teamKey: 'OUT', owner: 'elsewhere', repo: 'hidden', defaultBranch: 'main' }));
    const checks = await run({}, { linearKey: 'lin_api_wrong', flyApp: 'no-such-app' });
    expect(checks['ticketing:linear']).toMatchObject({ ok: false, fix: expect.stringContaining('LINEAR_API_KEY') });
    expect(checks['github-repo:acme/web']?.ok).toBe(true);
    expect(checks['github-repo:elsewhere/hidden']).toMatchObject({ ok: false, detail: expect.stringContaining('OUT'), fix: expect.stringContaining('Install the GitHub App on elsewhere/hidden') });
    expect(checks.fly).toMatchObject({ ok: false, fix: expect.stringContaining('FLY_SESSIONS_APP') });
    await store.mappings.delete('OUT');
  });

  it('flags a mapping that reads from a tracker that is not configured', async () => {
    await store.mappings.upsert(mappingOf({ teamKey: 'OPS', trackerKind: 'jira', jira: { jql: 'project = OPS', repoFieldValue: 'acme/web' }, owner: 'acme', repo: 'web', defaultBranch: 'main' }));
    const checks = await run({});
    expect(checks['ticketing:jira']).toMatchObject({ ok: false, detail: expect.stringContaining('Jira is not configured'), fix: expect.stringContaining('JIRA_HOST') });
    await store.mappings.delete('OPS');
  });
});
