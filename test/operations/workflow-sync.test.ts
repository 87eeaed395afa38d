import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubAppClient } from '../../src/github/api/github-app-client.js';
import { createRepoFilesApi } from '../../src/github/api/repo-files-api.js';
import { createOperationsRoutes } from '../../src/http/api/operations-routes.js';
import { createWorkflowSync, SYNC_BRANCH, type WorkflowSync } from '../../src/operations/workflow-sync.js';
import { findProjectRoot, readWorkflowTemplates } from '../../src/runner/index.js';
import { GitHubEmulator } from '../../src/sandbox/github/index.js';
import { createMemoryStore } from '../../src/store/memory/create-memory-store.js';
import type { Store } from '../../src/store/store.js';
import { createTestLogger } from '../support/test-logger.js';
import { mappingOf, startApi, type ApiClient } from './support/api-client.js';
import { auditGitHub, expectTrueToVendor } from '../support/vendor-fidelity/vendor-audits.js';

const OWN_WORKFLOW_MD = '# Our own rules\nDo it our way.\n';

describe('workflow sync against the GitHub emulator', () => {
  const github = new GitHubEmulator();
  const githubAudit = auditGitHub(github.server);
  const projectRoot = mkdtempSync(join(tmpdir(), 'ai-implement-templates-'));
  let store: Store;
  let sync: WorkflowSync;
  let api: ApiClient;

  beforeAll(async () => {
    cpSync(join(findProjectRoot(), 'workflow-templates'), join(projectRoot, 'workflow-templates'), { recursive: true });
    await github.start();
    github.state.addRepo({ owner: 'acme', name: 'web', defaultBranch: 'main', files: { 'README.md': '# web\n', 'WORKFLOW.md': OWN_WORKFLOW_MD } });
    github.state.addRepo({ owner: 'acme', name: 'api', defaultBranch: 'main' });
    store = createMemoryStore();
    await store.open();
    await store.mappings.upsert(mappingOf({ teamKey: 'WEB', owner: 'acme', repo: 'web', defaultBranch: 'main' }));
    await store.mappings.upsert(mappingOf({ teamKey: 'API', owner: 'acme', repo: 'api', defaultBranch: 'main' }));
    await store.mappings.upsert(mappingOf({ teamKey: 'OUT', owner: 'elsewhere', repo: 'hidden', defaultBranch: 'main' }));
    const { log } = createTestLogger(undefined, 'silent');
    const client = new GitHubAppClient({ appId: github.appId, privateKey: github.privateKeyPem, baseUrl: github.gheBaseUrl, log });
    sync = createWorkflowSync({ repoFiles: async (o, r) => createRepoFilesApi(await client.repoOctokit(o, r), o, r), templates: () => readWorkflowTemplates(projectRoot), store, clock: Date.now, log });
    api = await startApi(store, [
      createOperationsRoutes({ workflowSync: sync, configStatus: async () => [], customizations: async () => [], pipelinesAndSteps: async () => ({ pipelines: [], steps: [] }) }),
    ]);
  });

  afterAll(async () => {
    await api?.close();
    await store?.close();
    await github.stop();
    expectTrueToVendor(githubAudit, 'GitHub');
    rmSync(projectRoot, { recursive: true, force: true });
  });

  const bumpTemplate = (name: string, version: number) => {
    const path = join(projectRoot, 'workflow-templates', name);
    writeFileSync(path, readFileSync(path, 'utf8').replace(/ai-implement-template-version:\s*\d+/, `ai-implement-template-version: ${version}`));
  };

  it('opens a pull request with the workflows and the missing guidance file, never overwriting WORKFLOW.md', async () => {
    const first = await api.call('POST', '/api/mappings/WEB/sync-workflows');
    expect(first.status).toBe(200);
    expect(first.body.status).toBe('pr-opened');
    expect((first.body.changedFiles as string[]).sort()).toEqual(['.github/workflows/claude-implement.yml', '.github/workflows/claude-plan.yml', '.github/workflows/comment-trigger.yml', 'PLANNING.md']);
    expect(String(first.body.prUrl)).toMatch(/\/acme\/web\/pull\/\d+$/);
    const number = Number(String(first.body.prUrl).split('/').pop());
    expect(github.state.pull('acme', 'web', number)).toMatchObject({ state: 'open', headRef: SYNC_BRANCH, baseRef: 'main' });
    expect(github.state.readFile('acme', 'web', 'WORKFLOW.md', SYNC_BRANCH)).toBe(OWN_WORKFLOW_MD);
    expect(github.state.readFile('acme', 'web', '.github/workflows/claude-plan.yml', SYNC_BRANCH)).toBe(readFileSync(join(projectRoot, 'workflow-templates', 'claude-plan.yml'), 'utf8'));
    // The default branch is only changed by merging the PR.
    expect(github.state.readFile('acme', 'web', '.github/workflows/claude-plan.yml', 'main')).toBeUndefined();
  });

  it('answers up-to-date when nothing changed, then pr-updated after a template change', async () => {
    const again = await sync.sync('WEB', 'test');
    expect(again).toMatchObject({ status: 'up-to-date', changedFiles: [] });
    expect(again.prUrl).toBeDefined();
    bumpTemplate('claude-plan.yml', 3);
    const updated = await sync.sync('WEB', 'test');
    expect(updated).toMatchObject({ status: 'pr-updated', changedFiles: ['.github/workflows/claude-plan.yml'], prUrl: again.prUrl });
    expect(github.state.readFile('acme', 'web', '.github/workflows/claude-plan.yml', SYNC_BRANCH)).toContain('ai-implement-template-version: 3');
    expect(github.state.readFile('acme', 'web', 'WORKFLOW.md', SYNC_BRANCH)).toBe(OWN_WORKFLOW_MD);
    expect(github.state.pulls.filter((p) => p.headRef === SYNC_BRANCH && p.state === 'open')).toHaveLength(1);
  });

  it('reports template status per repository: missing, stale, current', async () => {
    const before = await api.call('GET', '/api/admin/template-status');
    expect(before.status).toBe(200);
    const byTeam = Object.fromEntries((before.body.repos as Array<{ teamKey: string; status: string }>).map((r) => [r.teamKey, r]));
    expect(byTeam.WEB).toMatchObject({ status: 'missing' });
    expect(byTeam.API).toMatchObject({ status: 'missing' });
    expect(byTeam.OUT).toMatchObject({ status: 'unknown' });
    expect(before.body.expectedVersion).toBe(3);

    const web = github.state.pulls.find((p) => p.headRef === SYNC_BRANCH && p.state === 'open');
    github.state.mergePull('acme', 'web', web!.number);
    // acme/api carries every workflow, one of them an older version.
    for (const name of ['claude-implement.yml', 'claude-plan.yml', 'comment-trigger.yml']) {
      const text = readFileSync(join(projectRoot, 'workflow-templates', name), 'utf8').replace(/ai-implement-template-version:\s*\d+/, 'ai-implement-template-version: 1');
      github.state.setFile('acme', 'api', 'main', `.github/workflows/${name}`, text);
    }
    const after = (await sync.templateStatus()).filter((r) => r.teamKey !== 'OUT');
    const web2 = after.find((r) => r.teamKey === 'WEB')!;
    const api2 = after.find((r) => r.teamKey === 'API')!;
    expect(web2.status).toBe('current');
    expect(api2.status).toBe('stale');
    expect(api2.files.find((f) => f.path === '.github/workflows/claude-plan.yml')).toMatchObject({ status: 'stale', found: 1, expected: 3 });
    expect(api2.files.find((f) => f.path === '.github/workflows/comment-trigger.yml')).toMatchObject({ status: 'current', found: 1, expected: 1 });
  });

  it('opens a fresh pull request after the last one merged, and is up to date once merged', async () => {
    expect((await sync.sync('WEB', 'test')).status).toBe('up-to-date');
    bumpTemplate('comment-trigger.yml', 2);
    const reopened = await sync.sync('WEB', 'test');
    expect(reopened).toMatchObject({ status: 'pr-opened', changedFiles: ['.github/workflows/comment-trigger.yml'] });
  });

  it('writes the project’s runner image (else RUNNER_IMAGE) and the allow-list into the dispatch workflows it proposes, and refuses an image off the list', async () => {
    github.state.addRepo({ owner: 'acme', name: 'imgs', defaultBranch: 'main' });
    await store.mappings.upsert(mappingOf({ teamKey: 'IMG', owner: 'acme', repo: 'imgs', defaultBranch: 'main', runnerImage: 'registry.fly.io/acme-runner:9' }));
    const { log } = createTestLogger(undefined, 'silent');
    const client = new GitHubAppClient({ appId: github.appId, privateKey: github.privateKeyPem, baseUrl: github.gheBaseUrl, log });
    const imaged = createWorkflowSync({
      repoFiles: async (o, r) => createRepoFilesApi(await client.repoOctokit(o, r), o, r),
      templates: () => readWorkflowTemplates(projectRoot),
      runnerImages: { image: 'ghcr.io/ai-implement/runner:0.9.0', allowlist: ['ghcr.io/ai-implement/runner', 'registry.fly.io/'] },
      store,
      clock: Date.now,
      log,
    });
    expect((await imaged.sync('IMG', 'test')).status).toBe('pr-opened');
    for (const file of ['claude-implement.yml', 'claude-plan.yml']) {
      const text = github.state.readFile('acme', 'imgs', `.github/workflows/${file}`, SYNC_BRANCH)!;
      expect(text).toContain('AI_IMPLEMENT_DEFAULT_IMAGE: "registry.fly.io/acme-runner:9"');
      expect(text).toContain('AI_IMPLEMENT_ALLOWED_IMAGES: "ghcr.io/ai-implement/runner registry.fly.io/"');
    }
    // A project without an image of its own gets RUNNER_IMAGE.
    expect((await imaged.sync('API', 'test')).changedFiles).toContain('.github/workflows/claude-implement.yml');
    expect(github.state.readFile('acme', 'api', '.github/workflows/claude-implement.yml', SYNC_BRANCH)).toContain('AI_IMPLEMENT_DEFAULT_IMAGE: "ghcr.io/ai-implement/runner:0.9.0"');
    // A stored project whose image the list no longer covers: 409 naming the fix, nothing written.
    await store.mappings.upsert(mappingOf({ teamKey: 'IMG', owner: 'acme', repo: 'imgs', defaultBranch: 'main', runnerImage: 'ghcr.io/someone/runner:1' }));
    await expect(imaged.sync('IMG', 'test')).rejects.toThrow(/ghcr\.io\/someone\/runner:1 is not allowed by RUNNER_IMAGE_ALLOWLIST/);
  });

  it('answers 404 for an unknown mapping and 409 for a repository the app cannot reach', async () => {
    expect((await api.call('POST', '/api/mappings/NOPE/sync-workflows')).status).toBe(404);
    const unreachable = await api.call('POST', '/api/mappings/OUT/sync-workflows');
    expect(unreachable.status).toBe(409);
    expect(unreachable.body.message).toContain('elsewhere/hidden');
  });

  it('answers 503 when the GitHub App is not configured', async () => {
    const bare = await startApi(store, [createOperationsRoutes({ workflowSync: undefined, configStatus: async () => [], customizations: async () => [], pipelinesAndSteps: async () => ({ pipelines: [], steps: [] }) })]);
    try {
      expect((await bare.call('POST', '/api/mappings/WEB/sync-workflows')).status).toBe(503);
      expect((await bare.call('GET', '/api/admin/template-status')).status).toBe(503);
    } finally {
      await bare.close();
    }
  });
});
