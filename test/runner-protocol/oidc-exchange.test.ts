import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src/domain/run.js';
import type { RunnerTokenExchange } from '../../src/domain/runner-protocol.js';
import { GitHubEmulator } from '../../src/sandbox/github/index.js';
import { TestClock, resultBody, useHarnesses, type Harness } from './support/runner-harness.js';

const AUDIENCE = 'https://ai-implement.test';
const clock = new TestClock();
const github = new GitHubEmulator({ now: () => new Date(clock.now()) });

beforeAll(async () => {
  await github.start();
});
afterAll(async () => {
  await github.stop();
});

const startHarness = useHarnesses();

function harness(oidc = true): Promise<Harness> {
  return startHarness({ clock, ...(oidc ? { oidc: { issuer: github.url, audience: AUDIENCE } } : {}) });
}

/** What the runner does inside the job: ask the Actions token endpoint for an id token with our audience. */
async function requestIdToken(requestUrl: string, requestToken: string, audience = AUDIENCE): Promise<Response> {
  return fetch(`${requestUrl}&audience=${encodeURIComponent(audience)}`, { headers: { authorization: `Bearer ${requestToken}` } });
}

async function idTokenFor(repository: string, runId: string, audience = AUDIENCE): Promise<string> {
  const creds = github.oidc.createRequestToken({ repository, runId, ref: 'main' });
  const res = await requestIdToken(creds.requestUrl, creds.requestToken, audience);
  expect(res.status).toBe(200);
  return ((await res.json()) as { value: string }).value;
}

async function exchange(h: Harness, idToken: string | undefined, runId: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await h.post('/runner/token', idToken, { runId });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function jwksFetches(): number {
  return github.server.requests.filter((r) => r.path === '/.well-known/jwks').length;
}

describe('GitHub emulator as the Actions OIDC issuer', () => {
  it('publishes a discovery document and a JWKS, and refuses an unknown request token', async () => {
    const config = (await (await fetch(`${github.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(config).toMatchObject({ issuer: github.url, jwks_uri: `${github.url}/.well-known/jwks`, id_token_signing_alg_values_supported: ['RS256'] });
    const jwks = (await (await fetch(`${github.url}/.well-known/jwks`)).json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys).toEqual([expect.objectContaining({ kty: 'RSA', kid: github.oidc.kid, alg: 'RS256', use: 'sig' })]);
    const refused = await requestIdToken(`${github.url}/_oidc/token?api-version=2.0`, 'not-a-request-token');
    expect(refused.status).toBe(401);
  });
});

describe('POST /runner/token', () => {
  it('trades the id token of the run’s own workflow run for the run’s tokens', async () => {
    const h = await harness();
    const run = await h.seedRun();
    const before = jwksFetches();
    const idToken = await idTokenFor('acme/app', run.upstreamId ?? '');
    const got = await exchange(h, idToken, run.id);
    expect(got.status).toBe(200);
    const tokens = got.body as unknown as RunnerTokenExchange;
    expect(tokens).toMatchObject({ runId: run.id, attempt: 1, expiresAt: expect.any(String) });
    // The minted tokens work on the callback routes.
    const progress = await h.post('/runner/progress', tokens.progressToken, { runId: run.id, attempt: 1, steps: [] });
    expect(progress.status).toBe(200);
    expect((await h.post('/runner/result', tokens.resultToken, resultBody(run))).status).toBe(200);
    // Keys are cached: a second exchange does not refetch the JWKS.
    const run2 = await h.seedRun();
    expect((await exchange(h, await idTokenFor('ACME/App', run2.upstreamId ?? ''), run2.id)).status).toBe(200);
    expect(jwksFetches() - before).toBe(1);
  });

  it('mints for the current attempt after a re-dispatch', async () => {
    const h = await harness();
    const run = await h.seedRun();
    await h.store.runs.updateRun(run.id, { status: 'claimed' });
    await h.store.runs.updateRun(run.id, { status: 'launching', attempt: 2, upstreamId: '424242' });
    const got = await exchange(h, await idTokenFor('acme/app', '424242'), run.id);
    expect(got).toMatchObject({ status: 200, body: { attempt: 2 } });
    // The old workflow run's id token no longer matches.
    expect((await exchange(h, await idTokenFor('acme/app', run.upstreamId ?? ''), run.id)).status).toBe(401);
  });

  it('answers 401 oidc_rejected for another repository, another run id, a wrong audience, expiry, or an unknown key', async () => {
    const h = await harness();
    const run = await h.seedRun();
    const upstream = run.upstreamId ?? '';
    const now = Math.floor(clock.now() / 1000);
    const foreignKey = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;
    const grant = { repository: 'acme/app', runId: upstream };
    const cases: Array<[string, string, RegExp]> = [
      ['another repository', await idTokenFor('acme/other', upstream), /from acme\/other, but run .* belongs to acme\/app/],
      ['another run id', await idTokenFor('acme/app', '123'), /workflow run 123, but run .* was dispatched as/],
      ['wrong audience', await idTokenFor('acme/app', upstream, 'https://evil.example'), /audience must be https:\/\/ai-implement\.test/],
      ['default audience', await (async () => {
        const creds = github.oidc.createRequestToken(grant);
        return ((await (await fetch(creds.requestUrl, { headers: { authorization: `Bearer ${creds.requestToken}` } })).json()) as { value: string }).value;
      })(), /audience must be/],
      ['expired', github.oidc.mintIdToken(grant, { audience: AUDIENCE, claims: { iat: now - 900, nbf: now - 900, exp: now - 60 } }), /expired/],
      ['foreign key, same kid', github.oidc.mintIdToken(grant, { audience: AUDIENCE, privateKeyPem: foreignKey }), /signature does not match/],
      ['foreign key, unknown kid', github.oidc.mintIdToken(grant, { audience: AUDIENCE, privateKeyPem: foreignKey, kid: 'attacker' }), /key the issuer does not publish/],
      ['another issuer', github.oidc.mintIdToken(grant, { audience: AUDIENCE, claims: { iss: 'https://token.actions.githubusercontent.com' } }), /issuer must be/],
      ['not from Actions', github.oidc.mintIdToken(grant, { audience: AUDIENCE, claims: { repository: undefined } }), /no repository or run_id claim/],
      ['not a JWT', 'garbage', /not a JWT/],
    ];
    for (const [name, idToken, message] of cases) {
      const got = await exchange(h, idToken, run.id);
      expect({ name, status: got.status, error: got.body.error }).toEqual({ name, status: 401, error: 'oidc_rejected' });
      expect(got.body.message, name).toMatch(message);
    }
    const missing = await exchange(h, undefined, run.id);
    expect(missing).toMatchObject({ status: 401, body: { error: 'missing_token' } });
    const valid = github.oidc.mintIdToken(grant, { audience: AUDIENCE });
    expect((await exchange(h, valid, 'no-such-run')).status).toBe(401);
    const bad = await h.post('/runner/token', valid, { runId: 7 });
    expect(bad.status).toBe(400);
    expect((await h.store.runs.getRun(run.id))?.status).toBe('launching');
  });

  it('asks a runner that is faster than the dispatcher to retry, and refuses a finished run', async () => {
    const h = await harness();
    const pending: Run = await h.seedRun({ status: 'claimed' });
    const early = await exchange(h, await idTokenFor('acme/app', '5555'), pending.id);
    expect(early).toMatchObject({ status: 409, body: { error: 'run_not_dispatched' } });
    const done = await h.seedRun();
    await h.store.runs.updateRun(done.id, { status: 'failed' });
    expect(await exchange(h, await idTokenFor('acme/app', done.upstreamId ?? ''), done.id)).toMatchObject({ status: 409, body: { error: 'run_finished' } });
  });

  it('answers 503 with Retry-After while the issuer cannot be reached (not the runner’s fault)', async () => {
    const h = await startHarness({ clock, oidc: { issuer: 'http://127.0.0.1:9', audience: AUDIENCE } });
    const run = await h.seedRun();
    const res = await h.post('/runner/token', github.oidc.mintIdToken({ repository: 'acme/app', runId: run.upstreamId ?? '' }, { audience: AUDIENCE }), { runId: run.id });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('30');
    expect(await res.json()).toMatchObject({ error: 'oidc_issuer_unavailable' });
  });

  it('answers 501 oidc_disabled when the exchange is not configured', async () => {
    const h = await harness(false);
    const run = await h.seedRun();
    expect(await exchange(h, await idTokenFor('acme/app', run.upstreamId ?? ''), run.id)).toMatchObject({ status: 501, body: { error: 'oidc_disabled' } });
  });
});
