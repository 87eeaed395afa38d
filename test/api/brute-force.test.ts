import { afterEach, describe, expect, it } from 'vitest';
import type { ApiAnswer } from './support/api-client.js';
import { ACCESS_CODE, startApiApp, type ApiApp } from './support/api-app.js';

const WRONG = (i: number) => `wrong-guess-${i}-zzz`;

/** Sends `count` wrong codes, twenty at a time, with per-attempt headers. */
async function hammer(app: ApiApp, count: number, headersFor: (i: number) => Record<string, string>): Promise<ApiAnswer[]> {
  const answers: ApiAnswer[] = [];
  for (let start = 0; start < count; start += 20) {
    const batch = Array.from({ length: Math.min(20, count - start) }, (_, k) => start + k);
    answers.push(...(await Promise.all(batch.map((i) => app.api.call('POST', '/api/auth', { body: { code: WRONG(i) }, headers: headersFor(i) })))));
  }
  return answers;
}

function tally(answers: ApiAnswer[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const a of answers) counts[a.status] = (counts[a.status] ?? 0) + 1;
  return counts;
}

function expectRetryAfter(answers: ApiAnswer[]): void {
  for (const a of answers.filter((x) => x.status === 429)) {
    const seconds = Number(a.headers.get('retry-after'));
    expect(seconds).toBeGreaterThanOrEqual(1);
    expect(seconds).toBeLessThanOrEqual(60);
    expect(a.body.error).toBe('too_many_attempts');
  }
}

function expectNoSecretsIn(lines: string[], tokens: string[], attempts: number): void {
  const text = lines.join('\n');
  expect(text).toContain('admin login throttled'); // the log was written, so its silence about secrets means something
  expect(text).not.toContain(ACCESS_CODE);
  // Every wrong code shares this stem, so one search covers all of them.
  expect(text).not.toMatch(/wrong-guess-/);
  expect(attempts).toBeGreaterThan(0);
  for (const token of tokens) expect(text).not.toContain(token);
}

describe('POST /api/auth under brute force', () => {
  let app: ApiApp | undefined;
  afterEach(async () => {
    await app?.stop();
    app = undefined;
  });

  it('throttles 1,000 wrong codes from one client, rotated X-Forwarded-For included, until the window passes', async () => {
    app = await startApiApp({ accessCode: ACCESS_CODE });
    const fromOneIp = await hammer(app, 1_000, () => ({}));
    expect(tally(fromOneIp)).toEqual({ 403: 5, 429: 995 });
    expectRetryAfter(fromOneIp);
    // No TRUSTED_PROXY_HEADER: a forged X-Forwarded-For is not an address, so rotating it buys nothing.
    const rotated = await hammer(app, 200, (i) => ({ 'x-forwarded-for': `198.51.100.${i % 250}` }));
    expect(tally(rotated)).toEqual({ 429: 200 });
    // Even the right code waits out the window...
    expect((await app.api.call('POST', '/api/auth', { body: { code: ACCESS_CODE } })).status).toBe(429);
    app.advance(61_000);
    // ...and then works.
    const ok = await app.api.call('POST', '/api/auth', { body: { code: ACCESS_CODE } });
    expect(ok.status).toBe(200);
    const token = String(ok.body.token);
    expect((await app.api.call('GET', '/api/mappings', { token })).status).toBe(200);
    expectNoSecretsIn(app.lines, [token], 1_000);
  });

  it('throttles each of 200 rotating addresses of the trusted proxy header on its own, and never locks out the operator', async () => {
    app = await startApiApp({ accessCode: ACCESS_CODE, trustedProxyHeader: 'fly-client-ip' });
    const answers = await hammer(app, 1_200, (i) => ({ 'fly-client-ip': `203.0.113.${i % 200}` }));
    // Six tries per address: five are judged, the sixth is throttled, whatever the others do.
    expect(tally(answers)).toEqual({ 403: 1_000, 429: 200 });
    expectRetryAfter(answers);
    // No process-wide lockout: the operator at their own address logs in at once...
    const operator = { 'fly-client-ip': '192.0.2.77' };
    const ok = await app.api.call('POST', '/api/auth', { body: { code: ACCESS_CODE }, headers: operator });
    expect(ok.status).toBe(200);
    // ...while an attacking address waits out its window even with the right code.
    expect((await app.api.call('POST', '/api/auth', { body: { code: ACCESS_CODE }, headers: { 'fly-client-ip': '203.0.113.7' } })).status).toBe(429);
    app.advance(61_000);
    expect((await app.api.call('POST', '/api/auth', { body: { code: ACCESS_CODE }, headers: { 'fly-client-ip': '203.0.113.7' } })).status).toBe(200);
    expectNoSecretsIn(app.lines, [String(ok.body.token)], 1_200);
  });

  it('counts an IPv6 /64 as one address: rotating through it buys nothing, and another /64 is not locked out', async () => {
    app = await startApiApp({ accessCode: ACCESS_CODE, trustedProxyHeader: 'fly-client-ip' });
    const answers = await hammer(app, 1_000, (i) => ({ 'fly-client-ip': `2001:db8:1:2:${((i * 7919) % 65_536).toString(16)}::${(i + 1).toString(16)}` }));
    expect(tally(answers)).toEqual({ 403: 5, 429: 995 });
    expectRetryAfter(answers);
    // The same /64 written another way (zeros spelled out, upper case) is the same address.
    expect((await app.api.call('POST', '/api/auth', { body: { code: ACCESS_CODE }, headers: { 'fly-client-ip': '2001:0DB8:0001:0002:0000:0000:0000:0001' } })).status).toBe(429);
    const neighbour = await app.api.call('POST', '/api/auth', { body: { code: ACCESS_CODE }, headers: { 'fly-client-ip': '2001:db8:1:3::1' } });
    expect(neighbour.status).toBe(200);
  });

  it('throttles one address behind the trusted proxy without locking out another', async () => {
    app = await startApiApp({ accessCode: ACCESS_CODE, trustedProxyHeader: 'fly-client-ip' });
    const answers = await hammer(app, 1_000, () => ({ 'fly-client-ip': '203.0.113.1', 'x-forwarded-for': 'forged' }));
    expect(tally(answers)).toEqual({ 403: 5, 429: 995 });
    const other = await app.api.call('POST', '/api/auth', { body: { code: ACCESS_CODE }, headers: { 'fly-client-ip': '203.0.113.2' } });
    expect(other.status).toBe(200);
    expect(other.headers.get('cache-control')).toBe('no-store');
  });
});
