import { describe, expect, it } from 'vitest';
import { AdminAuth, hashToken } from '../../src/admin/auth/admin-auth.js';
import { createMemoryStore } from '../../src/store/memory/create-memory-store.js';
import { createTestLogger } from '../support/test-logger.js';

async function setup() {
  let now = Date.parse('2025-06-01T00:00:00Z');
  const clock = () => now;
  const store = createMemoryStore({ clock });
  await store.open();
  const { log, lines } = createTestLogger();
  const make = (accessCode: string) => new AdminAuth({ accessCode, sessions: store.adminSessions, clock, log });
  return { store, lines, make, advance: (ms: number) => (now += ms) };
}

describe('AdminAuth', () => {
  it('issues an opaque 256-bit token, stores only its hash, and accepts it for 24 hours', async () => {
    const { store, make, advance } = await setup();
    const auth = make('the-right-code-123');
    const outcome = await auth.login('the-right-code-123', '127.0.0.1');
    if (!outcome.ok) throw new Error('login failed');
    expect(outcome.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(outcome.token, 'base64url')).toHaveLength(32);
    const stored = await store.adminSessions.getByTokenHash(hashToken(outcome.token));
    expect(stored?.id).toBe(outcome.sessionId);
    expect(JSON.stringify(stored)).not.toContain(outcome.token);
    expect(Date.parse(outcome.expiresAt) - Date.parse(stored!.createdAt)).toBe(24 * 3_600_000);
    expect((await auth.authenticate(outcome.token))?.id).toBe(outcome.sessionId);
    advance(24 * 3_600_000 - 1);
    expect(await auth.authenticate(outcome.token)).toBeDefined();
    advance(1);
    expect(await auth.authenticate(outcome.token)).toBeUndefined();
  });

  it('refuses a wrong code, including one that is a prefix or longer', async () => {
    const { make } = await setup();
    const auth = make('the-right-code-123');
    for (const code of ['the-right-code-12', 'the-right-code-1234', 'THE-RIGHT-CODE-123', '']) {
      expect(await auth.login(code, `10.0.0.${code.length}`)).toEqual({ ok: false, reason: 'wrong-code' });
    }
  });

  it('revokes on logout, and sessions of an older access code once the code changes', async () => {
    const { make } = await setup();
    const first = make('first-code-abcdef');
    const a = await first.login('first-code-abcdef', 'ip');
    const b = await first.login('first-code-abcdef', 'ip');
    if (!a.ok || !b.ok) throw new Error('login failed');
    await first.logout(a.token);
    expect(await first.authenticate(a.token)).toBeUndefined();
    expect(await first.authenticate(b.token)).toBeDefined();
    // A restart with a new code: the old token stops working at the first use.
    const second = make('second-code-ghijkl');
    expect(await second.authenticate(b.token)).toBeUndefined();
    expect(await second.login('first-code-abcdef', 'ip')).toEqual({ ok: false, reason: 'wrong-code' });
    expect((await second.login('second-code-ghijkl', 'ip')).ok).toBe(true);
  });

  it('rejects tokens of the wrong shape without a lookup, and never logs a code or token', async () => {
    const { make, lines } = await setup();
    const auth = make('the-right-code-123');
    expect(await auth.authenticate('short')).toBeUndefined();
    const ok = await auth.login('the-right-code-123', 'ip');
    await auth.login('a-wrong-guess-999', 'ip');
    if (!ok.ok) throw new Error('login failed');
    await auth.logout(ok.token);
    const text = lines.join('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const secret of ['the-right-code-123', 'a-wrong-guess-999', ok.token, hashToken(ok.token)]) expect(text).not.toContain(secret);
  });
});
