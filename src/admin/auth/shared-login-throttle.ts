import type { FailureLedger } from '../../store/coordination.js';
import { DEFAULT_LOGIN_LIMITS, type ThrottleVerdict } from './login-throttle.js';
import { throttleKeyOf } from './throttle-key.js';

/** What `AdminAuth` asks of a throttle: the in-process `LoginThrottle` or this shared one. */
export interface LoginAttempts {
  check(ip: string): ThrottleVerdict | Promise<ThrottleVerdict>;
  recordFailure(ip: string): void | Promise<void>;
}

export interface SharedLoginThrottleOptions {
  failures: FailureLedger;
  clock: () => number;
  perIpLimit?: number;
  windowMs?: number;
}

/**
 * The login throttle of several replicas: the same sliding window per
 * address as `LoginThrottle`, counted in the shared failure ledger, so
 * attempts spread over replicas by a load balancer meet one limit. Tries
 * made at the same instant on several replicas may each pass the check
 * before any records its failure: the limit can be passed by the number
 * of replicas, once per window, which the code's length makes harmless.
 */
export class SharedLoginThrottle implements LoginAttempts {
  private readonly perIpLimit: number;
  private readonly windowMs: number;

  constructor(private readonly options: SharedLoginThrottleOptions) {
    this.perIpLimit = options.perIpLimit ?? DEFAULT_LOGIN_LIMITS.perIp;
    this.windowMs = options.windowMs ?? DEFAULT_LOGIN_LIMITS.windowMs;
  }

  async check(ip: string): Promise<ThrottleVerdict> {
    const now = this.options.clock();
    const times = await this.options.failures.recent(throttleKeyOf(ip), now - this.windowMs);
    if (times.length < this.perIpLimit) return { allowed: true };
    const oldestThatMustExpire = times[times.length - this.perIpLimit] ?? now;
    return { allowed: false, scope: 'ip', retryAfterMs: Math.max(1, oldestThatMustExpire + this.windowMs - now) };
  }

  async recordFailure(ip: string): Promise<void> {
    const now = this.options.clock();
    await this.options.failures.record(throttleKeyOf(ip), now, now + this.windowMs);
  }
}
