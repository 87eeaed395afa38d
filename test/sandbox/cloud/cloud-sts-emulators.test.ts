import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assumeRoleWithWebIdentity, AwsStsRefusal } from '../../../src/runner/aws-web-identity.js';
import { exchangeForFederatedToken, impersonateServiceAccount } from '../../../src/runner/gcp-workload-identity.js';
import { AwsStsEmulator, GoogleStsEmulator, matchesLike } from '../../../src/sandbox/cloud/index.js';
import { GitHubEmulator } from '../../../src/sandbox/github/index.js';
import { ExternalServiceError } from '../../../src/errors/index.js';

const ROLE = 'arn:aws:iam::123456789012:role/ai-implement-bedrock';
const PROVIDER = 'projects/42/locations/global/workloadIdentityPools/github-pool/providers/github';
const grant = { repository: 'acme/widgets', runId: 1 };

describe('the loopback AWS STS and Google STS emulators', () => {
  let github: GitHubEmulator;
  let sts: AwsStsEmulator;
  let google: GoogleStsEmulator;

  beforeAll(async () => {
    github = new GitHubEmulator();
    await github.start();
    // Keys handed in, the other way to trust an issuer (the runner tests use discovery).
    const trust = { issuer: github.oidc.issuer, jwks: () => github.oidc.jwks() };
    sts = new AwsStsEmulator({ trust, roles: [{ arn: ROLE, subjects: ['repo:acme/widgets:*'] }] });
    google = new GoogleStsEmulator({ providers: [{ name: PROVIDER, trust, subjects: ['repo:acme/widgets:*'] }], serviceAccounts: [{ email: 'sa@p-123456.iam.gserviceaccount.com', subjects: ['repo:acme/*'] }] });
    await sts.start();
    await google.start();
  });

  afterAll(async () => {
    await google?.stop();
    await sts?.stop();
    await github?.stop();
  });

  const assume = (token: string, roleArn = ROLE) => assumeRoleWithWebIdentity({ roleArn, sessionName: 'test-session', webIdentityToken: token, durationSeconds: 900, endpoint: sts.url });
  const refusal = async (promise: Promise<unknown>) => {
    const error = await promise.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(AwsStsRefusal);
    return error as AwsStsRefusal;
  };

  it('AWS: a good token gets credentials that expire when asked', async () => {
    const credentials = await assume(github.oidc.mintIdToken(grant, { audience: 'sts.amazonaws.com' }));
    expect(credentials.accessKeyId).toMatch(/^ASIA/);
    expect(Date.parse(credentials.expiration) - Date.now()).toBeGreaterThan(880_000);
    expect(sts.issued.at(-1)).toMatchObject({ subject: 'repo:acme/widgets:ref:refs/heads/main', sessionName: 'test-session' });
  });

  it('AWS: wrong audience, another repository, an expired token, a foreign key, an unknown role', async () => {
    const audience = await refusal(assume(github.oidc.mintIdToken(grant, { audience: 'https://github.com/acme' })));
    expect([audience.code, audience.status, audience.message]).toEqual(['InvalidIdentityToken', 400, expect.stringContaining('Incorrect token audience')]);
    const other = await refusal(assume(github.oidc.mintIdToken({ ...grant, repository: 'acme/other' }, { audience: 'sts.amazonaws.com' })));
    expect([other.code, other.status]).toEqual(['AccessDenied', 403]);
    const past = Math.floor(Date.now() / 1000) - 60;
    const expired = await refusal(assume(github.oidc.mintIdToken(grant, { audience: 'sts.amazonaws.com', claims: { exp: past, iat: past - 300, nbf: past - 300 } })));
    expect([expired.code, expired.message]).toEqual(['ExpiredTokenException', expect.stringContaining('Token expired')]);
    const foreignKey = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;
    const forged = await refusal(assume(github.oidc.mintIdToken(grant, { audience: 'sts.amazonaws.com', privateKeyPem: foreignKey })));
    expect(forged.code).toBe('InvalidIdentityToken');
    const unknown = await refusal(assume(github.oidc.mintIdToken(grant, { audience: 'sts.amazonaws.com' }), 'arn:aws:iam::123456789012:role/nope'));
    expect(unknown.code).toBe('AccessDenied');
    expect(sts.server.requestsTo('POST', '/').at(-1)!.outcome).toBe(403);
  });

  it('AWS: answers the real XML shapes', async () => {
    const ok = await fetch(sts.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ Action: 'AssumeRoleWithWebIdentity', Version: '2011-06-15', RoleArn: ROLE, RoleSessionName: 's1', WebIdentityToken: github.oidc.mintIdToken(grant, { audience: 'sts.amazonaws.com' }) }),
    });
    const xml = await ok.text();
    expect(xml).toMatch(/^<AssumeRoleWithWebIdentityResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/">/);
    expect(xml).toMatch(/<AssumeRoleWithWebIdentityResult>[\s\S]*<Credentials>[\s\S]*<AccessKeyId>ASIA[\s\S]*<\/Credentials>[\s\S]*<\/AssumeRoleWithWebIdentityResult>/);
    expect(xml).toContain('<Arn>arn:aws:sts::123456789012:assumed-role/ai-implement-bedrock/s1</Arn>');
    const bad = await fetch(`${sts.url}?Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=${encodeURIComponent(ROLE)}&RoleSessionName=s1&WebIdentityToken=not-a-jwt`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/<ErrorResponse[^>]*>\s*<Error>\s*<Type>Sender<\/Type>\s*<Code>InvalidIdentityToken<\/Code>\s*<Message>[^<]+<\/Message>/);
  });

  it('Google: exchange then impersonation; wrong audience and expired tokens are invalid_grant', async () => {
    const endpoints = { sts: google.tokenUrl, iamCredentials: google.iamCredentialsUrl };
    const good = github.oidc.mintIdToken(grant, { audience: `//iam.googleapis.com/${PROVIDER}` });
    const federated = await exchangeForFederatedToken({ provider: PROVIDER, subjectToken: good, endpoints, now: new Date() });
    const impersonated = await impersonateServiceAccount({ serviceAccount: 'sa@p-123456.iam.gserviceaccount.com', federatedToken: federated.token, endpoints });
    expect(google.issued.map((t) => t.token)).toEqual([federated.token, impersonated.token]);

    const wrongAudience = github.oidc.mintIdToken(grant, { audience: 'sts.amazonaws.com' });
    const refused = await exchangeForFederatedToken({ provider: PROVIDER, subjectToken: wrongAudience, endpoints, now: new Date() }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ExternalServiceError);
    expect((refused as Error).message).toContain('invalid_grant: The audience in ID Token [sts.amazonaws.com] does not match');
    const past = Math.floor(Date.now() / 1000) - 60;
    const stale = github.oidc.mintIdToken(grant, { audience: `https://iam.googleapis.com/${PROVIDER}`, claims: { exp: past } });
    expect(((await exchangeForFederatedToken({ provider: PROVIDER, subjectToken: stale, endpoints, now: new Date() }).catch((e: unknown) => e)) as Error).message).toContain('invalid_grant: The ID Token has expired');
    const otherRepo = github.oidc.mintIdToken({ ...grant, repository: 'acme/other' }, { audience: `https://iam.googleapis.com/${PROVIDER}` });
    expect(((await exchangeForFederatedToken({ provider: PROVIDER, subjectToken: otherRepo, endpoints, now: new Date() }).catch((e: unknown) => e)) as Error).message).toContain('unauthorized_client: The given credential is rejected by the attribute condition.');
    const notFederated = await impersonateServiceAccount({ serviceAccount: 'sa@p-123456.iam.gserviceaccount.com', federatedToken: 'ya29.made-up', endpoints }).catch((e: unknown) => e);
    expect((notFederated as ExternalServiceError).status).toBe(401);
  });

  it('StringLike matches as IAM conditions do', () => {
    expect(matchesLike('repo:acme/widgets:ref:refs/heads/main', 'repo:acme/widgets:*')).toBe(true);
    expect(matchesLike('repo:acme/widgets-2:ref:refs/heads/main', 'repo:acme/widgets:*')).toBe(false);
    expect(matchesLike('repo:acme/w.dgets:x', 'repo:acme/w?dgets:x')).toBe(true);
    expect(matchesLike('repo:acme/wxdgets:x', 'repo:acme/w.dgets:x')).toBe(false);
  });
});
