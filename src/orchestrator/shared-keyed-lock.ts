import { ExternalServiceError } from '../errors/index.js';
import type { Coordination } from '../store/coordination.js';
import { KeyedLock } from './keyed-lock.js';

export interface SharedKeyedLockOptions {
  coordination: Coordination;
  /** How long a holder that died keeps others waiting. */
  ttlMs?: number;
  /** Pause between tries while another replica holds the key. */
  retryMs?: number;
  /** Give up (a retryable error: the inbox retries the delivery) after this long. */
  waitMs?: number;
}

/**
 * A KeyedLock that also holds across replicas: inside this process's turn for
 * the key, it takes the coordination lease `lock:<key>` (PostgreSQL: a row in
 * `leases`, which expires should this replica die holding it) and gives it
 * back after the work. For the read-modify-write settings (a PR's pending
 * review comments, the reachable repositories) that two replicas could
 * otherwise overwrite. With the embedded store the lease is always granted.
 */
export class SharedKeyedLock extends KeyedLock {
  private readonly ttlMs: number;
  private readonly retryMs: number;
  private readonly waitMs: number;

  constructor(private readonly options: SharedKeyedLockOptions) {
    super();
    this.ttlMs = options.ttlMs ?? 15_000;
    this.retryMs = options.retryMs ?? 20;
    this.waitMs = options.waitMs ?? 30_000;
  }

  override with<T>(key: string, work: () => Promise<T>): Promise<T> {
    return super.with(key, () => this.holdAcrossReplicas(key, work));
  }

  private async holdAcrossReplicas<T>(key: string, work: () => Promise<T>): Promise<T> {
    const { coordination } = this.options;
    const name = `lock:${key}`;
    const until = Date.now() + this.waitMs;
    while (!(await coordination.acquireLease(name, this.ttlMs))) {
      if (Date.now() > until) {
        throw new ExternalServiceError(`another replica has held the lock on ${key} for over ${this.waitMs} ms`, { service: 'coordination', retryable: true, retryAfterMs: 1_000 });
      }
      await new Promise((resolve) => setTimeout(resolve, this.retryMs));
    }
    try {
      return await work();
    } finally {
      // Should the release fail, the lease runs out by itself.
      await coordination.releaseLease(name).catch(() => undefined);
    }
  }
}
