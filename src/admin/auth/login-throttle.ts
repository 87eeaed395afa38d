import { throttleKeyOf } from './throttle-key.js';

/**
 * Failed-login accounting for `POST /api/auth` and the `/admin` login: a
 * sliding window per client address (an IPv6 /64 counts as one address).
 * There is deliberately no process-wide limit: one would let anyone with a
 * few addresses lock the operator out. Guessing is instead made hopeless by
 * the access code's length (ADMIN_ACCESS_CODE ≥ 20 characters): at 5 tries a
 * minute per address, even a million addresses need far longer than the
 * universe has left.
 */

export interface LoginThrottleOptions {
  clock: () => number;
  /** Failures one address may make per window (default 5). */
  perIpLimit?: number;
  /** Window length in ms (default one minute). */
  windowMs?: number;
  /** IPs remembered at most; the oldest are forgotten past it, so memory stays bounded. */
  maxTrackedIps?: number;
}

export type ThrottleVerdict = { allowed: true } | { allowed: false; scope: 'ip'; retryAfterMs: number };

export const DEFAULT_LOGIN_LIMITS = { perIp: 5, windowMs: 60_000, maxTrackedIps: 10_000 } as const;

export class LoginThrottle {
  private readonly clock: () => number;
  private readonly perIpLimit: number;
  private readonly windowMs: number;
  private readonly maxTrackedIps: number;
  /** Failure times per address key, oldest first; Map order doubles as least-recently-failed order. */
  private readonly byIp = new Map<string, number[]>();

  constructor(options: LoginThrottleOptions) {
    this.clock = options.clock;
    this.perIpLimit = options.perIpLimit ?? DEFAULT_LOGIN_LIMITS.perIp;
    this.windowMs = options.windowMs ?? DEFAULT_LOGIN_LIMITS.windowMs;
    this.maxTrackedIps = options.maxTrackedIps ?? DEFAULT_LOGIN_LIMITS.maxTrackedIps;
  }

  /** Asked before the code is even compared, so a throttled caller learns nothing about it. */
  check(ip: string): ThrottleVerdict {
    const now = this.clock();
    const mine = this.recent(throttleKeyOf(ip), now);
    if (mine.length >= this.perIpLimit) return { allowed: false, scope: 'ip', retryAfterMs: this.waitFor(mine, this.perIpLimit, now) };
    return { allowed: true };
  }

  recordFailure(ip: string): void {
    const now = this.clock();
    const key = throttleKeyOf(ip);
    const mine = this.recent(key, now);
    mine.push(now);
    // Re-insert so the Map keeps the most recently failing addresses at its end.
    this.byIp.delete(key);
    this.byIp.set(key, mine);
    this.evict();
  }

  /** How many IPs are remembered (for tests of the memory bound). */
  get trackedIps(): number {
    return this.byIp.size;
  }

  private recent(ip: string, now: number): number[] {
    const kept = (this.byIp.get(ip) ?? []).filter((t) => t > now - this.windowMs);
    if (kept.length === 0) this.byIp.delete(ip);
    return kept;
  }

  /** Time until enough failures leave the window for one more attempt. */
  private waitFor(times: number[], limit: number, now: number): number {
    const oldestThatMustExpire = times[times.length - limit] ?? now;
    return Math.max(1, oldestThatMustExpire + this.windowMs - now);
  }

  private evict(): void {
    // The Map's first entries are the IPs that failed least recently: forget those first.
    for (const ip of this.byIp.keys()) {
      if (this.byIp.size <= this.maxTrackedIps) return;
      this.byIp.delete(ip);
    }
  }
}
