import { describe, expect, it } from 'vitest';
import { LoginThrottle } from '../../src/admin/auth/login-throttle.js';

function throttleAt(start = 1_000_000) {
  let now = start;
  const throttle = new LoginThrottle({ clock: () => now, perIpLimit: 5, globalLimit: 100, windowMs: 60_000, maxTrackedIps: 50 });
  return { throttle, advance: (ms: number) => (now += ms) };
}

describe('LoginThrottle', () => {
  it('allows five failures per IP per minute, then says how long to wait', () => {
    const { throttle, advance } = throttleAt();
    for (let i = 0; i < 5; i++) {
      expect(throttle.check('10.0.0.1').allowed).toBe(true);
      throttle.recordFailure('10.0.0.1');
      advance(1_000);
    }
    const verdict = throttle.check('10.0.0.1');
    expect(verdict).toEqual({ allowed: false, scope: 'ip', retryAfterMs: 55_000 });
    // Another address is unaffected.
    expect(throttle.check('10.0.0.2').allowed).toBe(true);
  });

  it('frees one attempt as the oldest failure leaves the sliding window', () => {
    const { throttle, advance } = throttleAt();
    for (let i = 0; i < 5; i++) throttle.recordFailure('ip');
    advance(59_999);
    expect(throttle.check('ip').allowed).toBe(false);
    advance(1);
    expect(throttle.check('ip').allowed).toBe(true);
  });

  it('trips the global limit for many rotating addresses', () => {
    const { throttle, advance } = throttleAt();
    for (let i = 0; i < 100; i++) {
      expect(throttle.check(`198.51.100.${i}`).allowed).toBe(true);
      throttle.recordFailure(`198.51.100.${i}`);
    }
    const verdict = throttle.check('203.0.113.9');
    expect(verdict).toMatchObject({ allowed: false, scope: 'global' });
    advance(60_000);
    expect(throttle.check('203.0.113.9').allowed).toBe(true);
  });

  it('keeps memory bounded however many addresses fail', () => {
    const throttle = new LoginThrottle({ clock: () => 0, perIpLimit: 5, globalLimit: 1_000_000, windowMs: 60_000, maxTrackedIps: 50 });
    for (let i = 0; i < 500; i++) throttle.recordFailure(`ip-${i}`);
    expect(throttle.trackedIps).toBe(50);
    // The most recent failures are the ones remembered.
    for (let i = 0; i < 4; i++) throttle.recordFailure('ip-499');
    expect(throttle.check('ip-499').allowed).toBe(false);
  });
});
