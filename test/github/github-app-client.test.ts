import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretRegistry } from '../../src/config/index.js';
import { GitHubAppClient } from '../../src/github/api/github-app-client.js';
import { GitHubEmulator } from '../../src/sandbox/github/index.js';
import { createTestLogger } from '../support/test-logger.js';
import { auditGitHub, expectTrueToVendor } from '../support/vendor-fidelity/vendor-audits.js';

describe('GitHubAppClient against the GitHub emulator', () => {
  const emulator = new GitHubEmulator();
  const emulatorAudit = auditGitHub(emulator.server);
  let client: GitHubAppClient;

  beforeAll(async () => {
    await emulator.start();
    emulator.state.addRepo({ owner: 'acme', name: 'web', defaultBranch: 'main', files: { 'README.md': '# web\n' } });
    emulator.state.addRepo({ owner: 'acme', name: 'api', defaultBranch: 'main' });
    client = new GitHubAppClient({ appId: emulator.appId, privateKey: emulator.privateKeyPem, baseUrl: emulator.gheBaseUrl, log: createTestLogger().log });
  });
  afterAll(async () => {
    await emulator.stop();
    expectTrueToVendor(emulatorAudit, 'GitHub');
    expectTrueToVendor(emulatorAudit, 'GitHub');
  });

  it('mints a runner token scoped to one repository with contents and pull requests only, and caches it', async () => {
    const token = await client.repoToken('acme', 'web');
    expect(token).toMatch(/^ghs_/);
    expect(await client.repoToken('acme', 'web')).toBe(token);
    const minted = emulator.server.requestsTo('POST', /\/app\/installations\/\d+\/access_tokens$/);
    expect(minted).toHaveLength(1);
    expect(minted[0]?.body).toEqual({ repositories: ['web'], permissions: { contents: 'write', pull_requests: 'write' } });
    // The scoped token cannot read the other repository.
    const other = await fetch(`${emulator.url}/repos/acme/api`, { headers: { authorization: `token ${token}` } });
    expect(other.status).toBe(404);
  });

  it('gives a repository client that does not retry a failed POST', async () => {
    const octokit = await client.repoOctokit('acme', 'web');
    emulator.server.injectFault({ kind: 'error', status: 502, method: 'POST', path: '/issues/', times: 1 });
    const before = emulator.server.requestsTo('POST', '/issues/').length;
    await expect(octokit.rest.issues.createComment({ owner: 'acme', repo: 'web', issue_number: 1, body: 'x' })).rejects.toMatchObject({ status: 502 });
    expect(emulator.server.requestsTo('POST', '/issues/').length - before).toBe(1);
  });

  it('lists the repositories the app can reach', async () => {
    expect((await client.reachableRepos()).sort()).toEqual(['acme/api', 'acme/web']);
  });
});

describe('GitHubAppClient tells the redactor of every installation token it is given', () => {
  const emulator = new GitHubEmulator();
  const emulatorAudit = auditGitHub(emulator.server);
  afterAll(async () => {
    await emulator.stop();
    expectTrueToVendor(emulatorAudit, 'GitHub');
    expectTrueToVendor(emulatorAudit, 'GitHub');
  });

  it('registers the tokens it mints for runners and those Probot mints for the app itself', async () => {
    await emulator.start();
    emulator.state.addRepo({ owner: 'acme', name: 'web', defaultBranch: 'main' });
    const secrets = new SecretRegistry();
    const client = new GitHubAppClient({ appId: emulator.appId, privateKey: emulator.privateKeyPem, baseUrl: emulator.gheBaseUrl, log: createTestLogger().log, registerSecret: secrets.register });
    const runnerToken = await client.repoToken('acme', 'web');
    expect(secrets.has(runnerToken)).toBe(true);

    // Probot's installation client authenticates with a token of its own, minted out of our sight.
    const installation = await client.probot.auth(await client.installationId('acme', 'web'));
    await installation.rest.repos.get({ owner: 'acme', repo: 'web' });
    const sent = emulator.server.requestsTo('GET', '/repos/acme/web').at(-1)?.headers.authorization ?? '';
    const probotToken = sent.replace(/^token\s+/i, '');
    expect(probotToken).toMatch(/^ghs_/);
    expect(probotToken).not.toBe(runnerToken);
    expect(secrets.has(probotToken)).toBe(true);
  });
});

describe('GitHubAppClient token cache under a moved clock', () => {
  let offsetMs = 0;
  const now = () => Date.now() + offsetMs;
  // Tokens are issued and checked on the moved clock; App JWTs stay on real time (Probot signs them).
  const emulator = new GitHubEmulator({ tokenNow: () => new Date(now()) });
  const emulatorAudit = auditGitHub(emulator.server);
  let client: GitHubAppClient;

  beforeAll(async () => {
    await emulator.start();
    emulator.state.addRepo({ owner: 'acme', name: 'web', defaultBranch: 'main' });
    client = new GitHubAppClient({ appId: emulator.appId, privateKey: emulator.privateKeyPem, baseUrl: emulator.gheBaseUrl, log: createTestLogger().log, clock: now });
  });
  afterAll(async () => {
    await emulator.stop();
    expectTrueToVendor(emulatorAudit, 'GitHub');
    expectTrueToVendor(emulatorAudit, 'GitHub');
  });

  it('never hands out a token with less than 15 minutes left: a run starting late in the hour gets a fresh one', async () => {
    const first = await client.repoTokenGrant('acme', 'web');
    expect(Date.parse(first.expiresAt)).toBeGreaterThan(now() + 59 * 60_000);
    offsetMs = 44 * 60_000;
    expect(await client.repoTokenGrant('acme', 'web')).toEqual(first);
    offsetMs = 46 * 60_000;
    const second = await client.repoTokenGrant('acme', 'web');
    expect(second.token).not.toBe(first.token);
    expect(Date.parse(second.expiresAt)).toBeGreaterThan(now() + 59 * 60_000);
    expect(await client.repoToken('acme', 'web')).toBe(second.token);
    expect(emulator.server.requestsTo('POST', /\/app\/installations\/\d+\/access_tokens$/)).toHaveLength(2);
  });
});
