import { generateKeyPairSync } from 'node:crypto';
import { Octokit } from '@octokit/rest';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubEmulator } from '../../../src/sandbox/github/index.js';
import { createTestProbot, silentLog } from './create-test-probot.js';
import { auditGitHub, expectTrueToVendor } from '../../support/vendor-fidelity/vendor-audits.js';

function otherPrivateKey(): string {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  }).privateKey;
}

function signAppJwt(privateKey: string, appId: number): string {
  const now = Math.floor(Date.now() / 1000);
  return jwt.sign({ iat: now - 30, exp: now + 540, iss: appId }, privateKey, { algorithm: 'RS256' });
}

async function statusOf(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return (error as { status?: number }).status;
  }
}

describe('GitHubEmulator authentication', () => {
  const github = new GitHubEmulator({ appId: 7 });
  const githubAudit = auditGitHub(github.server, (exchange) => exchange.path.endsWith('/no/such/route'));
  let installationId = 0;

  beforeAll(async () => {
    await github.start();
    installationId = github.state.addInstallation({ account: 'acme' }).id;
    github.state.addRepo({ owner: 'acme', name: 'app' });
    github.state.addRepo({ owner: 'acme', name: 'secret-sauce' });
  });

  afterAll(async () => {
    await github.stop();
    expectTrueToVendor(githubAudit, 'GitHub');
  });

  it('answers 401 to an App JWT signed with a different key', async () => {
    const impostor = createTestProbot({ appId: 7, privateKey: otherPrivateKey(), baseUrl: github.url });
    const appOctokit = await impostor.auth();
    expect(await statusOf(appOctokit.rest.apps.getAuthenticated())).toBe(401);
    expect(github.state.tokens.size).toBe(0);
  });

  it('answers 401 to a JWT whose issuer is another app', async () => {
    const wrongApp = createTestProbot({ appId: 8, privateKey: github.privateKeyPem, baseUrl: github.url });
    const appOctokit = await wrongApp.auth();
    expect(await statusOf(appOctokit.rest.apps.createInstallationAccessToken({ installation_id: installationId }))).toBe(401);
  });

  it('answers 401 without a token, with a made-up token, and with an App JWT on an installation route', async () => {
    expect(await statusOf(new Octokit({ log: silentLog, baseUrl: github.url }).rest.repos.get({ owner: 'acme', repo: 'app' }))).toBe(401);
    const fake = new Octokit({ log: silentLog, baseUrl: github.url, auth: 'ghs_madeup' });
    expect(await statusOf(fake.rest.repos.get({ owner: 'acme', repo: 'app' }))).toBe(401);
    const appJwt = new Octokit({ log: silentLog, baseUrl: github.url, auth: signAppJwt(github.privateKeyPem, 7) });
    expect((await appJwt.rest.apps.getAuthenticated()).status).toBe(200);
    expect(await statusOf(appJwt.rest.repos.get({ owner: 'acme', repo: 'app' }))).toBe(401);
  });

  it('pins RS256 and the ten-minute lifetime on App JWTs', async () => {
    const now = Math.floor(Date.now() / 1000);
    const hmac = jwt.sign({ iat: now - 30, exp: now + 500, iss: '7' }, 'shared-secret', { algorithm: 'HS256' });
    const tooLong = jwt.sign({ iat: now - 30, exp: now + 3600, iss: 7 }, github.privateKeyPem, { algorithm: 'RS256' });
    const expired = jwt.sign({ iat: now - 900, exp: now - 300, iss: 7 }, github.privateKeyPem, { algorithm: 'RS256' });
    for (const token of [hmac, tooLong, expired]) {
      expect(await statusOf(new Octokit({ log: silentLog, baseUrl: github.url, auth: token }).rest.apps.getAuthenticated())).toBe(401);
    }
  });

  it('rejects an expired installation token', async () => {
    const app = createTestProbot({ appId: 7, privateKey: github.privateKeyPem, baseUrl: github.url });
    const { data } = await (await app.auth()).rest.apps.createInstallationAccessToken({ installation_id: installationId });
    const record = github.state.tokens.get(data.token);
    expect(record).toBeDefined();
    expect(Date.parse(data.expires_at) - Date.now()).toBeGreaterThan(59 * 60 * 1000);
    const octokit = new Octokit({ log: silentLog, baseUrl: github.url, auth: data.token });
    expect((await octokit.rest.repos.get({ owner: 'acme', repo: 'app' })).status).toBe(200);
    if (record) record.expiresAt = new Date(Date.now() - 1000);
    expect(await statusOf(octokit.rest.repos.get({ owner: 'acme', repo: 'app' }))).toBe(401);
  });

  it('narrows a token to the requested repositories and permissions', async () => {
    const app = createTestProbot({ appId: 7, privateKey: github.privateKeyPem, baseUrl: github.url });
    const appOctokit = await app.auth();
    const { data } = await appOctokit.rest.apps.createInstallationAccessToken({
      installation_id: installationId,
      repositories: ['app'],
      permissions: { contents: 'read', pull_requests: 'write' },
    });
    expect(data.repositories?.map((r) => r.name)).toEqual(['app']);
    expect(data.permissions).toEqual({ contents: 'read', pull_requests: 'write', metadata: 'read' });

    const scoped = new Octokit({ log: silentLog, baseUrl: github.url, auth: data.token });
    expect((await scoped.rest.repos.get({ owner: 'acme', repo: 'app' })).data.full_name).toBe('acme/app');
    expect(await statusOf(scoped.rest.repos.get({ owner: 'acme', repo: 'secret-sauce' }))).toBe(404);
    const put = scoped.rest.repos.createOrUpdateFileContents({
      owner: 'acme',
      repo: 'app',
      path: 'x.txt',
      message: 'x',
      content: Buffer.from('x').toString('base64'),
    });
    expect(await statusOf(put)).toBe(403);
    const { data: listed } = await scoped.rest.apps.listReposAccessibleToInstallation();
    expect(listed.repositories.map((r) => r.name)).toEqual(['app']);

    const tooMuch = appOctokit.rest.apps.createInstallationAccessToken({ installation_id: installationId, permissions: { administration: 'write' } });
    expect(await statusOf(tooMuch)).toBe(422);
    const unknownRepo = appOctokit.rest.apps.createInstallationAccessToken({ installation_id: installationId, repositories: ['nope'] });
    expect(await statusOf(unknownRepo)).toBe(422);
  });

  it('lists installations for the app and answers unknown routes like GitHub', async () => {
    const app = createTestProbot({ appId: 7, privateKey: github.privateKeyPem, baseUrl: github.url });
    const appOctokit = await app.auth();
    const { data: installations } = await appOctokit.rest.apps.listInstallations();
    expect(installations.map((i) => i.id)).toEqual([installationId]);
    expect(installations[0]?.account && 'login' in installations[0].account ? installations[0].account.login : undefined).toBe('acme');

    const response = await fetch(`${github.url}/api/v3/no/such/route`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ message: 'Not Found', documentation_url: expect.stringContaining('docs.github.com') });
  });

  it('sends rate-limit headers and answers 403 once the primary limit is spent', async () => {
    const token = (await (await createTestProbot({ appId: 7, privateKey: github.privateKeyPem, baseUrl: github.url }).auth())
      .rest.apps.createInstallationAccessToken({ installation_id: installationId })).data.token;
    const octokit = new Octokit({ log: silentLog, baseUrl: github.url, auth: token });
    const { headers } = await octokit.rest.repos.get({ owner: 'acme', repo: 'app' });
    expect(Number(headers['x-ratelimit-limit'])).toBe(5000);
    expect(Number(headers['x-ratelimit-remaining'])).toBeLessThan(5000);
    github.rateLimit.remaining = 0;
    try {
      const error = await octokit.rest.repos.get({ owner: 'acme', repo: 'app' }).catch((e: unknown) => e);
      expect((error as { status: number }).status).toBe(403);
      expect((error as { response: { headers: Record<string, string> } }).response.headers['x-ratelimit-remaining']).toBe('0');
    } finally {
      github.rateLimit.remaining = github.rateLimit.limit;
    }
  });
});
