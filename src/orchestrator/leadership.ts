import type { Logger } from 'pino';
import type { Coordination } from '../store/coordination.js';

/** The lease the periodic jobs (full intake cycles, recovery, the reaper) run under. */
export const LEADER_LEASE = 'periodic-jobs';
export const DEFAULT_LEADER_LEASE_TTL_MS = 30_000;
export const DEFAULT_LEADER_LEASE_RENEW_MS = 10_000;

export interface LeadershipOptions {
  coordination: Coordination;
  log: Logger;
  ttlMs?: number;
  /** How often the holder renews and the others try to take over; well under `ttlMs`. */
  renewMs?: number;
}

/**
 * Whether this replica runs the periodic jobs. Every `renewMs` it takes or
 * renews the lease; a replica that stops renewing (killed, cut off from the
 * database) loses it when its TTL runs out, and the next try of another
 * replica takes it over. A failed renewal counts as not holding: two leaders
 * for a moment would be worse than none.
 */
export class Leadership {
  private held = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private first: Promise<void> | undefined;
  private current: Promise<void> | undefined;
  private changes = 0;
  private readonly listeners = new Set<(held: boolean) => void>();
  readonly ttlMs: number;
  readonly renewMs: number;

  constructor(private readonly options: LeadershipOptions) {
    this.ttlMs = options.ttlMs ?? DEFAULT_LEADER_LEASE_TTL_MS;
    this.renewMs = options.renewMs ?? DEFAULT_LEADER_LEASE_RENEW_MS;
  }

  get isLeader(): boolean {
    return this.held;
  }

  /** Called with the new state whenever it changes. */
  onChange(listener: (held: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves after the first try (at once before `start`). */
  ready(): Promise<void> {
    return this.first ?? Promise.resolve();
  }

  /** Starts trying; the promise resolves after the first try (so start-up knows whether it leads). */
  start(): Promise<void> {
    if (!this.stopped) return this.first ?? Promise.resolve();
    this.stopped = false;
    this.first = this.current = this.tick();
    return this.first;
  }

  /** Stops renewing and gives the lease up, so another replica takes it at its next try. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.current;
    if (this.held) {
      this.set(false);
      await this.options.coordination.releaseLease(LEADER_LEASE).catch((error: unknown) => this.options.log.warn({ err: error }, 'could not release the leader lease; it expires by itself'));
    }
  }

  private async tick(): Promise<void> {
    let held: boolean;
    try {
      held = await this.options.coordination.acquireLease(LEADER_LEASE, this.ttlMs);
    } catch (error) {
      this.options.log.warn({ err: error }, 'could not take or renew the leader lease');
      held = false;
    }
    if (this.stopped) {
      // Taken while stopping: give it back rather than leave it to expire.
      if (held) await this.options.coordination.releaseLease(LEADER_LEASE).catch(() => undefined);
      return;
    }
    this.set(held);
    this.timer = setTimeout(() => {
      this.current = this.tick();
    }, this.renewMs);
    this.timer.unref();
  }

  private set(held: boolean): void {
    if (held === this.held) return;
    this.held = held;
    // Taking the lease at start is the normal case; a change later (a takeover, a loss) is news.
    const level = this.changes++ === 0 ? 'debug' : 'info';
    this.options.log[level]({ replica: this.options.coordination.replicaId }, held ? 'this replica now runs the periodic jobs' : 'this replica no longer runs the periodic jobs');
    for (const listener of [...this.listeners]) listener(held);
  }
}
