import { describe, expect, it } from 'vitest';
import { githubTokenGrantSchema, type GitHubTokenRequest } from '../../src/domain/runner-protocol.js';
import type { Run } from '../../src/domain/run.js';
import { ExternalServiceError } from '../../src/errors/index.js';
import { createGitHubTokenRefresher } from '../../src/orchestrator/refresh-github-token.js';
import { RunnerRefusal } from '../../src/orchestrator/runner-tokens.js';
import { createTestLogger } from '../support/test-logger.js';
import { useHarnesses } from './support/runner-harness.js';

const harness = useHarnesses();

function ask(run: Run, extra: Partial<Record<keyof GitHubTokenRequest, unknown>> = {}): Record<string, unknown> {
  return { runId: run.id, attempt: run.attempt, kind: 'github', ...extra };
}

async function answer(res: Response): Promise<{ status: number; error?: string; field?: string }> {
  const body = (await res.json()) as { error?: string; field?: string };
  return { status: res.status, ...(body.error ? { error: body.error } : {}), ...(body.field ? { field: body.field } : {}) };
}

describe('POST /runner/token { kind: github }: a fresh installation token for a working run', () => {
  it('answers a repository-scoped token and its expiry, uncached, registered with the redactor, for a dispatched or running run', async () => {
    const h = await harness();
    const run = await h.seedRun();
    const { progressToken } = h.mint(run);
    const res = await h.post('/runner/token', progressToken, ask(run));
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const grant = githubTokenGrantSchema.parse(await res.json());
    expect(grant).toEqual({ token: 'ghs_scoped_acme_app', expiresAt: new Date(h.clock.now() + 3_600_000).toISOString() });
    expect(h.repoTokenRequests).toEqual(['acme/app']);
    expect(h.secrets.redact(`push with ${grant.token}`)).toBe('push with [REDACTED]');

    // Fifty minutes on, with the run running, the next one is minted from then.
    await h.store.runs.updateRun(run.id, { status: 'running' });
    h.clock.advance(50 * 60_000);
    const later = githubTokenGrantSchema.parse(await (await h.post('/runner/token', progressToken, ask(run))).json());
    expect(Date.parse(later.expiresAt)).toBe(h.clock.now() + 3_600_000);
    expect(h.repoTokenRequests).toEqual(['acme/app', 'acme/app']);
  });

  it('answers 409 when the run is not dispatched yet, has finished, or the token is for a superseded attempt', async () => {
    const h = await harness();
    const dispatching = await h.seedRun({ status: 'claimed' });
    expect(await answer(await h.post('/runner/token', h.mint(dispatching).progressToken, ask(dispatching)))).toEqual({ status: 409, error: 'run_not_dispatched' });

    const finished = await h.seedRun();
    const finishedTokens = h.mint(finished);
    await h.store.runs.updateRun(finished.id, { status: 'succeeded' });
    expect(await answer(await h.post('/runner/token', finishedTokens.progressToken, ask(finished)))).toEqual({ status: 409, error: 'run_finished' });

    const redispatched = await h.seedRun();
    const first = h.mint(redispatched);
    await h.store.runs.updateRun(redispatched.id, { status: 'claimed' });
    await h.store.runs.updateRun(redispatched.id, { status: 'launching', attempt: 2, upstreamId: '778' });
    expect(await answer(await h.post('/runner/token', first.progressToken, ask(redispatched)))).toEqual({ status: 409, error: 'stale_attempt' });
    expect(h.repoTokenRequests).toEqual([]);
  });

  it('answers 401 for a missing, foreign, expired or wrong-audience token and for a body speaking for another run', async () => {
    const h = await harness();
    const run = await h.seedRun();
    const other = await h.seedRun();
    const { progressToken, resultToken } = h.mint(run);
    const cases: Array<[string, string | undefined, Record<string, unknown>, string]> = [
      ['no token', undefined, ask(run), 'missing_token'],
      ['not a JWT', 'ghs_not_a_run_token', ask(run), 'invalid_token'],
      ['result token', resultToken, ask(run), 'wrong_audience'],
      ['another run', progressToken, ask(other), 'token_run_mismatch'],
      ['another attempt', progressToken, ask(run, { attempt: 2 }), 'token_run_mismatch'],
    ];
    for (const [name, token, body, code] of cases) {
      expect({ name, ...(await answer(await h.post('/runner/token', token, body))) }).toEqual({ name, status: 401, error: code });
    }
    h.clock.advance(3 * 60 * 60_000);
    expect(await answer(await h.post('/runner/token', progressToken, ask(run)))).toEqual({ status: 401, error: 'token_expired' });
    expect(h.repoTokenRequests).toEqual([]);
  });

  it('answers 400 naming the field for a bad body, and leaves the OIDC exchange (no kind) to its own rules', async () => {
    const h = await harness();
    const run = await h.seedRun();
    const { progressToken } = h.mint(run);
    expect(await answer(await h.post('/runner/token', progressToken, ask(run, { kind: 'aws' })))).toEqual({ status: 400, error: 'invalid_body', field: 'kind' });
    expect(await answer(await h.post('/runner/token', progressToken, { runId: run.id, kind: 'github' }))).toEqual({ status: 400, error: 'invalid_body', field: 'attempt' });
    // Without `kind` the body is an OIDC exchange, which this harness has not configured.
    expect(await answer(await h.post('/runner/token', progressToken, { runId: run.id }))).toEqual({ status: 501, error: 'oidc_disabled' });
  });

  it('turns a GitHub failure into a refusal the runner may retry (github-unavailable: 503 with its Retry-After)', async () => {
    const h = await harness();
    const run = await h.seedRun();
    const refresher = createGitHubTokenRefresher({
      store: h.store,
      log: createTestLogger().log,
      mintRepoToken: async () => {
        throw new ExternalServiceError('GitHub answered 502', { service: 'github', retryable: true, retryAfterMs: 20_000, status: 502 });
      },
    });
    const claims = { aud: 'runner-progress' as const, sub: run.id, attempt: run.attempt, jti: 'j', iat: 0, exp: 0 };
    const refusal = await refresher.refresh(claims).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(RunnerRefusal);
    expect(refusal).toMatchObject({ reason: 'github-unavailable', retryAfterSeconds: 20 });
  });
});
