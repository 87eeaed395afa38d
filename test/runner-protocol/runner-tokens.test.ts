import { createHmac } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { SecretRegistry } from '../../src/config/index.js';
import { RUNNER_AUDIENCE } from '../../src/domain/runner-protocol.js';
import { ConfigError, ValidationError } from '../../src/errors/index.js';
import { createRunnerTokens, deriveKid, DEADLINE_GRACE_MS } from '../../src/orchestrator/runner-tokens.js';
import { SECRET, TestClock } from './support/runner-harness.js';

const OLD_SECRET = 'previous-runner-secret-abcdefghijklmnopqrstuvwxyz';

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Signs by hand, so the tests can build tokens jsonwebtoken itself would refuse to make. */
function handSign(header: Record<string, unknown>, payload: Record<string, unknown>, secret: string, hash = 'sha256'): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac(hash, secret).update(input).digest('base64url')}`;
}

function setup() {
  const clock = new TestClock();
  const tokens = createRunnerTokens({ secrets: { current: { secret: SECRET } }, clock: clock.now });
  const deadline = new Date(clock.now() + 60 * 60_000).toISOString();
  return { clock, tokens, deadline };
}

describe('runner tokens', () => {
  it('mints a progress and a result token whose claims say what they are for', () => {
    const { tokens, deadline, clock } = setup();
    const pair = tokens.mint('run-1', 2, deadline);
    const progress = jwt.decode(pair.progressToken, { complete: true });
    const result = jwt.decode(pair.resultToken, { complete: true });
    expect(progress?.header).toMatchObject({ alg: 'HS256', kid: deriveKid(SECRET) });
    expect(progress?.payload).toMatchObject({ aud: 'runner-progress', sub: 'run-1', attempt: 2, iat: clock.now() / 1000 });
    expect(result?.payload).toMatchObject({ aud: 'runner-result', sub: 'run-1', attempt: 2 });
    const exp = (Date.parse(deadline) + DEADLINE_GRACE_MS) / 1000;
    expect((result?.payload as jwt.JwtPayload).exp).toBe(exp);
    expect(pair.expiresAt).toBe(new Date(exp * 1000).toISOString());
    expect((progress?.payload as jwt.JwtPayload).jti).not.toBe((result?.payload as jwt.JwtPayload).jti);
    expect(tokens.verify(pair.resultToken, RUNNER_AUDIENCE.result)).toMatchObject({ ok: true, claims: { sub: 'run-1', attempt: 2 } });
  });

  it('caps the lifetime at 24 h however far the deadline is', () => {
    const { tokens, clock } = setup();
    const pair = tokens.mint('run-1', 1, new Date(clock.now() + 30 * 24 * 3_600_000).toISOString());
    expect(Date.parse(pair.expiresAt)).toBe(clock.now() + 24 * 3_600_000);
  });

  it('registers both tokens with the redactor until they expire (and its grace)', () => {
    const clock = new TestClock();
    const secrets = new SecretRegistry({ clock: clock.now, graceMs: 0 });
    const tokens = createRunnerTokens({ secrets: { current: { secret: SECRET } }, clock: clock.now, registerSecret: secrets.register });
    const pair = tokens.mint('run-1', 1, new Date(clock.now() + 60 * 60_000).toISOString());
    // A bare JWT is scrubbed by its shape anyway; the registry also knows it by value.
    expect(secrets.has(pair.progressToken) && secrets.has(pair.resultToken)).toBe(true);
    clock.advance(60 * 60_000 + DEADLINE_GRACE_MS + 1);
    secrets.redact('');
    expect(secrets.has(pair.progressToken) || secrets.has(pair.resultToken)).toBe(false);
  });

  it('refuses a bad deadline or attempt when minting', () => {
    const { tokens, deadline } = setup();
    expect(() => tokens.mint('run-1', 1, 'soon')).toThrow(ValidationError);
    expect(() => tokens.mint('run-1', 0, deadline)).toThrow(ValidationError);
  });

  it('throws ConfigError for a secret shorter than 32 bytes, current or previous', () => {
    const clock = new TestClock();
    expect(() => createRunnerTokens({ secrets: { current: { secret: 'x'.repeat(31) } }, clock: clock.now })).toThrow(ConfigError);
    expect(() => createRunnerTokens({ secrets: { current: { secret: SECRET }, previous: { secret: 'short' } }, clock: clock.now })).toThrow(ConfigError);
    expect(() => createRunnerTokens({ secrets: { current: { secret: 'x'.repeat(32) } }, clock: clock.now })).not.toThrow();
  });

  it('keeps tokens of the previous secret valid during a rotation, and only then', () => {
    const clock = new TestClock();
    const before = createRunnerTokens({ secrets: { current: { secret: OLD_SECRET } }, clock: clock.now });
    const old = before.mint('run-1', 1, new Date(clock.now() + 3_600_000).toISOString());
    const rotated = createRunnerTokens({ secrets: { current: { secret: SECRET }, previous: { secret: OLD_SECRET } }, clock: clock.now });
    expect(rotated.verify(old.progressToken, 'runner-progress')).toMatchObject({ ok: true });
    const after = createRunnerTokens({ secrets: { current: { secret: SECRET } }, clock: clock.now });
    expect(after.verify(old.progressToken, 'runner-progress')).toMatchObject({ ok: false, reason: 'unknown-key' });
    // A new token from the rotated issuer uses the current kid.
    expect(jwt.decode(rotated.mint('run-1', 1, new Date(clock.now() + 3_600_000).toISOString()).resultToken, { complete: true })?.header.kid).toBe(deriveKid(SECRET));
  });

  it('uses a given kid instead of the derived one', () => {
    const clock = new TestClock();
    const tokens = createRunnerTokens({ secrets: { current: { kid: 'k2025', secret: SECRET } }, clock: clock.now });
    const pair = tokens.mint('run-1', 1, new Date(clock.now() + 3_600_000).toISOString());
    expect(jwt.decode(pair.resultToken, { complete: true })?.header.kid).toBe('k2025');
  });

  it('refuses alg none, HS512, a tampered payload, missing exp, expiry, future nbf and the wrong audience', () => {
    const { tokens, clock, deadline } = setup();
    const kid = deriveKid(SECRET);
    const now = clock.now() / 1000;
    const claims = { aud: 'runner-result', sub: 'run-1', attempt: 1, jti: 'j1', iat: now, exp: now + 600 };
    const none = `${b64({ alg: 'none', typ: 'JWT', kid })}.${b64(claims)}.`;
    expect(tokens.verify(none, 'runner-result')).toMatchObject({ ok: false, reason: 'bad-algorithm' });
    expect(tokens.verify(handSign({ alg: 'HS512', typ: 'JWT', kid }, claims, SECRET, 'sha512'), 'runner-result')).toMatchObject({ ok: false, reason: 'bad-algorithm' });
    const good = tokens.mint('run-1', 1, deadline).resultToken;
    const [h, , s] = good.split('.');
    const tampered = `${h}.${b64({ ...(jwt.decode(good) as object), sub: 'run-2' })}.${s}`;
    expect(tokens.verify(tampered, 'runner-result')).toMatchObject({ ok: false, reason: 'bad-signature' });
    const { exp: _exp, ...noExp } = claims;
    expect(tokens.verify(handSign({ alg: 'HS256', typ: 'JWT', kid }, noExp, SECRET), 'runner-result')).toMatchObject({ ok: false, reason: 'bad-claims' });
    expect(tokens.verify(handSign({ alg: 'HS256', typ: 'JWT', kid }, { ...claims, nbf: now + 60 }, SECRET), 'runner-result')).toMatchObject({ ok: false, reason: 'not-yet-valid' });
    expect(tokens.verify(good, 'runner-progress')).toMatchObject({ ok: false, reason: 'wrong-audience' });
    expect(tokens.verify(handSign({ alg: 'HS256', typ: 'JWT', kid }, { ...claims, attempt: 'one' }, SECRET), 'runner-result')).toMatchObject({ ok: false, reason: 'bad-claims' });
    expect(tokens.verify('not.a.jwt', 'runner-result')).toMatchObject({ ok: false, reason: 'malformed' });
    expect(tokens.verify(undefined, 'runner-result')).toMatchObject({ ok: false, reason: 'missing' });
    clock.advance(60 * 60_000 + DEADLINE_GRACE_MS);
    expect(tokens.verify(good, 'runner-result')).toMatchObject({ ok: false, reason: 'expired' });
  });
});
