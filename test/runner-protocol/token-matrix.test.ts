import { createHmac } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { deriveKid } from '../../src/orchestrator/runner-tokens.js';
import { SECRET, resultBody, useHarnesses } from './support/runner-harness.js';

const harness = useHarnesses();

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function handSign(header: Record<string, unknown>, payload: Record<string, unknown>, hash = 'sha256'): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac(hash, SECRET).update(input).digest('base64url')}`;
}

async function answer(res: Response): Promise<{ status: number; error: string; message: string }> {
  const body = (await res.json()) as { error: string; message: string };
  return { status: res.status, error: body.error, message: body.message };
}

describe('runner token matrix on POST /runner/result', () => {
  it('answers each bad token with its documented status and code, and leaves the run untouched', async () => {
    const h = await harness();
    const run = await h.seedRun();
    const now = h.clock.now() / 1000;
    const kid = deriveKid(SECRET);
    const claims = { aud: 'runner-result', sub: run.id, attempt: 1, jti: 'jti-matrix', iat: now, exp: now + 600 };
    const header = { alg: 'HS256', typ: 'JWT', kid };
    const { resultToken, progressToken } = h.mint(run);
    const [rh, , rs] = resultToken.split('.');
    const cases: Array<[string, string | undefined, number, string]> = [
      ['no token', undefined, 401, 'missing_token'],
      ['alg none', `${b64({ alg: 'none', typ: 'JWT', kid })}.${b64(claims)}.`, 401, 'invalid_token'],
      ['HS512', handSign({ ...header, alg: 'HS512' }, claims, 'sha512'), 401, 'invalid_token'],
      ['missing exp', handSign(header, { ...claims, exp: undefined }), 401, 'invalid_token'],
      ['expired', handSign(header, { ...claims, iat: now - 7200, exp: now - 60 }), 401, 'token_expired'],
      ['future nbf', handSign(header, { ...claims, nbf: now + 300 }), 401, 'token_not_yet_valid'],
      ['progress token on /result', progressToken, 401, 'wrong_audience'],
      ['tampered payload', `${rh}.${b64({ ...(jwt.decode(resultToken) as object), attempt: 5 })}.${rs}`, 401, 'invalid_token'],
      ['foreign secret', jwt.sign(claims, 'another-secret-that-is-long-enough-000000', { algorithm: 'HS256', keyid: kid }), 401, 'invalid_token'],
    ];
    for (const [name, token, status, code] of cases) {
      const got = await answer(await h.post('/runner/result', token, resultBody(run)));
      expect({ name, status: got.status, code: got.error }).toEqual({ name, status, code });
    }
    const after = await h.store.runs.getRun(run.id);
    expect(after?.status).toBe('launching');
    expect(h.linear.calls).toEqual([]);
  });

  it('answers 401 token_run_mismatch when the body speaks for another run than the token (sub ≠ runId)', async () => {
    const h = await harness();
    const run = await h.seedRun();
    const other = await h.seedRun();
    const { resultToken } = h.mint(run);
    const got = await answer(await h.post('/runner/result', resultToken, resultBody(other)));
    expect(got).toMatchObject({ status: 401, error: 'token_run_mismatch' });
    expect((await h.store.runs.getRun(other.id))?.status).toBe('launching');
    // The token was not spent on a refused body: the right body still goes through.
    expect((await h.post('/runner/result', resultToken, resultBody(run))).status).toBe(200);
  });

  it('answers 400 naming the field for a bad body without spending the token', async () => {
    const h = await harness();
    const run = await h.seedRun();
    const { resultToken } = h.mint(run);
    const res = await h.post('/runner/result', resultToken, resultBody(run, { outcome: 'maybe' }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_body', field: 'outcome' });
    expect((await h.post('/runner/result', resultToken, resultBody(run))).status).toBe(200);
  });

  it('answers 409 stale_attempt to a token of attempt 1 after a re-dispatch as attempt 2', async () => {
    const h = await harness();
    const run = await h.seedRun();
    const first = h.mint(run);
    await h.store.runs.updateRun(run.id, { status: 'claimed' });
    const second = await h.store.runs.updateRun(run.id, { status: 'launching', attempt: 2, upstreamId: '777' });
    const got = await answer(await h.post('/runner/result', first.resultToken, resultBody(run)));
    expect(got).toMatchObject({ status: 409, error: 'stale_attempt' });
    const progress = await answer(await h.post('/runner/progress', first.progressToken, { runId: run.id, attempt: 1, steps: [] }));
    expect(progress).toMatchObject({ status: 409, error: 'stale_attempt' });
    expect((await h.store.runs.getRun(run.id))?.status).toBe('launching');
    const current = h.mint(second);
    expect((await h.post('/runner/result', current.resultToken, resultBody(second))).status).toBe(200);
  });

  it('answers 409 run_finished to a fresh token for a run that already ended', async () => {
    const h = await harness();
    const run = await h.seedRun();
    await h.store.runs.updateRun(run.id, { status: 'cancelled' });
    const got = await answer(await h.post('/runner/result', h.mint(run).resultToken, resultBody(run)));
    expect(got).toMatchObject({ status: 409, error: 'run_finished' });
  });

  it('answers 501 on every runner route when RUNNER_TOKEN_SECRET is unset', async () => {
    const h = await harness({ secret: null });
    for (const path of ['/runner/result', '/runner/progress', '/runner/token']) {
      const got = await answer(await h.post(path, 'whatever', { runId: 'r' }));
      expect({ path, ...got }).toMatchObject({ path, status: 501, error: 'runner_tokens_disabled' });
    }
    const job = await fetch(`${h.url}/runner/job`, { headers: { authorization: 'Bearer whatever' } });
    expect(job.status).toBe(501);
  });
});
