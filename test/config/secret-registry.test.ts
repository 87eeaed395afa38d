import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { SecretRegistry } from '../../src/config/index.js';

/** A collection we can call between measurements (vitest's forks do not start with --expose-gc). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** Shaped like a runner token: one shared header, a payload and a signature that differ. */
function runnerLikeToken(i: number): string {
  return `eyJhbGciOiJIUzI1NiIsImtpZCI6ImFiYyJ9.${Buffer.from(JSON.stringify({ sub: `run-${i}`, n: i })).toString('base64url')}.${randomBytes(32).toString('base64url')}`;
}

describe('the secret registry', () => {
  it('scrubs registered values wherever they sit, overlapping ones as one span', () => {
    const secrets = new SecretRegistry();
    secrets.register('team-secret-value');
    secrets.register('secret-value-and-more');
    expect(secrets.redact('a team-secret-value b')).toBe('a [REDACTED] b');
    // Two registered values that overlap leave no fragment of either.
    expect(secrets.redact('x team-secret-value-and-more y')).toBe('x [REDACTED] y');
    expect(secrets.redact('team-secret-valueteam-secret-value')).toBe('[REDACTED][REDACTED]');
    expect(secrets.redact('nothing here')).toBe('nothing here');
    // Too short to scrub without wrecking ordinary text.
    secrets.register('abc');
    expect(secrets.redact('abc')).toBe('abc');
  });

  it('scrubs a value registered after the text was produced, the next time it is redacted', () => {
    const secrets = new SecretRegistry();
    const text = 'failed with opaque-minted-value-1';
    expect(secrets.redact(text)).toBe(text);
    secrets.register('opaque-minted-value-1', { expiresAt: Date.now() + 60_000 });
    expect(secrets.redact(text)).toBe('failed with [REDACTED]');
    expect(secrets.has('opaque-minted-value-1')).toBe(true);
  });

  it('registers the body lines of a PEM key, which logs print one by one', () => {
    const secrets = new SecretRegistry();
    const body = ['MIIEowIBAAKCAQEAuA1b2c3d4e5f6g7h8i9j0k', 'l1m2n3o4p5q6r7s8t9u0v1w2x3y4z5A6B7C8D9'];
    secrets.register(`-----BEGIN RSA PRIVATE KEY-----\n${body.join('\n')}\n-----END RSA PRIVATE KEY-----`);
    expect(secrets.redact(`line: ${body[1]}`)).toBe('line: [REDACTED]');
  });

  it('forgets a minted value a grace period after it expires, and keeps configured ones', () => {
    let now = Date.parse('2025-06-01T12:00:00Z');
    const secrets = new SecretRegistry({ clock: () => now, graceMs: 60_000 });
    secrets.register('configured-secret-value');
    secrets.register('minted-token-value-1', { expiresAt: new Date(now + 3_600_000).toISOString() });
    now += 3_600_000 + 30_000;
    expect(secrets.redact('minted-token-value-1')).toBe('[REDACTED]');
    now += 10 * 60_000;
    expect(secrets.redact('minted-token-value-1 configured-secret-value')).toBe('minted-token-value-1 [REDACTED]');
    expect(secrets.size).toBe(1);
  });

  it('keeps a value registered both ways for good', () => {
    let now = 0;
    const secrets = new SecretRegistry({ clock: () => now, graceMs: 0 });
    secrets.register('shared-value-123', { expiresAt: 1_000 });
    secrets.register('shared-value-123');
    now = 10 * 60_000;
    expect(secrets.redact('shared-value-123')).toBe('[REDACTED]');
  });

  it('stays bounded over 100,000 minted tokens that never expire in time, and still scrubs the newest', () => {
    const cap = 10_000;
    const secrets = new SecretRegistry({ maxExpiring: cap });
    secrets.register('configured-secret-value');
    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    const started = performance.now();
    let last = '';
    for (let i = 0; i < 100_000; i++) {
      last = runnerLikeToken(i);
      secrets.register(last, { expiresAt: Date.now() + 24 * 3_600_000 });
    }
    const registerMs = performance.now() - started;
    collectGarbage();
    const grownMb = (process.memoryUsage().heapUsed - before) / 1024 / 1024;
    // Each token is ~150 characters: 10,000 of them with their index entries are a few MB; 100,000 would be ten times that.
    console.info(`100,000 registrations: ${secrets.size} values kept, heap grew ${grownMb.toFixed(1)} MB, ${registerMs.toFixed(0)} ms`);
    expect(secrets.size).toBe(cap + 1);
    expect(grownMb).toBeLessThan(12);
    expect(secrets.redact(`token ${last} leaked`)).toBe('token [REDACTED] leaked');
    expect(secrets.redact('configured-secret-value')).toBe('[REDACTED]');

    // Redaction costs a map probe per character, not per registered value.
    const text = `${'ordinary log text without secrets; '.repeat(1_700)}${last}`;
    const redactStarted = performance.now();
    const out = secrets.redact(text);
    const redactMs = performance.now() - redactStarted;
    console.info(`redacting ${text.length} characters against ${secrets.size} values: ${redactMs.toFixed(1)} ms`);
    expect(out.endsWith('[REDACTED]')).toBe(true);
    expect(redactMs).toBeLessThan(250);
  });

  it('deep-redacts JSON-like values without touching numbers, booleans or keys', () => {
    const secrets = new SecretRegistry();
    secrets.register('deep-secret-value');
    expect(secrets.redactValue({ deep: ['x deep-secret-value', { n: 1, ok: true, none: null }], 'deep-secret-value': 'k' })).toEqual({
      deep: ['x [REDACTED]', { n: 1, ok: true, none: null }],
      'deep-secret-value': 'k',
    });
  });
});
