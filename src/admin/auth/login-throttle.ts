/**
 * Failed-login accounting for `POST /api/auth`: a sliding window per client IP
 * and one for the whole process. The per-IP limit stops one attacker; the
 * global limit stops one attacker who rotates through many addresses (the
 * price is that a correct code is refused too while it is tripped, which
 * lasts at most one window).
 */

export interface LoginThrottleOptions {
  clock: () => number;
  /** Failures one IP may make per window (default 5). */
  perIpLimit?: number;
  /** Failures the whole process may see per window (default 100). */
  globalLimit?: number;
  /** Window length in ms (default one minute). */
  windowMs?: number;
  /** IPs remembered at most; the oldest are forgotten past it, so memory stays bounded. */
  maxTrackedIps?: number;
}

export type ThrottleVerdict = { allowed: true } | { allowed: false; scope: 'ip' | 'global'; retryAfterMs: number };

export const DEFAULT_LOGIN_LIMITS = { perIp: 5, global: 100, windowMs: 60_000, maxTrackedIps: 10_000 } as const;

export class LoginThrottle {
  private readonly clock: () => number;
  private readonly perIpLimit: number;
  private readonly globalLimit: number;
  private readonly windowMs: number;
  private readonly maxTrackedIps: number;
  /** Failure times per IP, oldest first; Map order doubles as least-recently-failed order. */
  private readonly byIp = new Map<string, number[]>();
  private global: number[] = [];

  constructor(options: LoginThrottleOptions) {
    this.clock = options.clock;
    this.perIpLimit = options.perIpLimit ?? DEFAULT_LOGIN_LIMITS.perIp;
    this.globalLimit = options.globalLimit ?? DEFAULT_LOGIN_LIMITS.global;
    this.windowMs = options.windowMs ?? DEFAULT_LOGIN_LIMITS.windowMs;
    this.maxTrackedIps = options.maxTrackedIps ?? DEFAULT_LOGIN_LIMITS.maxTrackedIps;
  }

  /** Asked before the code is even compared, so a throttled caller learns nothing about it. */
  check(ip: string): ThrottleVerdict {
    const now = this.clock();
    const mine = this.recent(ip, now);
    if (mine.length >= this.perIpLimit) return { allowed: false, scope: 'ip', retryAfterMs: this.waitFor(mine, this.perIpLimit, now) };
    this.global = this.global.filter((t) => t > now - this.windowMs);
    if (this.global.length >= this.globalLimit) return { allowed: false, scope: 'global', retryAfterMs: this.waitFor(this.global, this.globalLimit, now) };
    return { allowed: true };
  }

  recordFailure(ip: string): void {
    const now = this.clock();
    const mine = this.recent(ip, now);
    mine.push(now);
    // Re-insert so the Map keeps the most recently failing IPs at its end.
    this.byIp.delete(ip);
    this.byIp.set(ip, mine);
    this.global.push(now);
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
