import { describe, expect, it } from 'vitest';
import { LoginThrottle } from '../../src/admin/auth/login-throttle.js';

function throttleAt(start = 1_000_000) {
  let now = start;
  const throttle = new LoginThrottle({ clock: () => now, perIpLimit: 5, windowMs: 60_000, maxTrackedIps: 50 });
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

  it('never refuses an address for what other addresses did', () => {
    const { throttle } = throttleAt();
    // 40 addresses, fewer than it remembers (50 here): each is refused on its own count, none for the others'.
    for (let i = 0; i < 1_000; i++) {
      const ip = `198.51.100.${i % 40}`;
      if (throttle.check(ip).allowed) throttle.recordFailure(ip);
    }
    expect(throttle.check('203.0.113.9')).toEqual({ allowed: true });
    expect(throttle.check('198.51.100.1')).toMatchObject({ allowed: false, scope: 'ip' });
  });

  it('groups IPv6 addresses by /64, however they are written, and IPv4-mapped ones as IPv4', () => {
    const { throttle } = throttleAt();
    for (let i = 1; i <= 5; i++) throttle.recordFailure(`2001:db8:a:b::${i}`);
    expect(throttle.check('2001:db8:a:b:ffff:ffff:ffff:ffff').allowed).toBe(false);
    expect(throttle.check('2001:0DB8:000A:000B:0:0:0:9').allowed).toBe(false);
    expect(throttle.check('fe80::1%eth0').allowed).toBe(true);
    expect(throttle.check('2001:db8:a:c::1').allowed).toBe(true);
    for (let i = 0; i < 5; i++) throttle.recordFailure('::ffff:192.0.2.1');
    expect(throttle.check('192.0.2.1').allowed).toBe(false);
    expect(throttle.check('192.0.2.2').allowed).toBe(true);
  });

  it('keeps memory bounded however many addresses fail', () => {
    const throttle = new LoginThrottle({ clock: () => 0, perIpLimit: 5, windowMs: 60_000, maxTrackedIps: 50 });
    for (let i = 0; i < 500; i++) throttle.recordFailure(`ip-${i}`);
    expect(throttle.trackedIps).toBe(50);
    // The most recent failures are the ones remembered.
    for (let i = 0; i < 4; i++) throttle.recordFailure('ip-499');
    expect(throttle.check('ip-499').allowed).toBe(false);
  });
});
