import type { ServerResponse } from 'node:http';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { NextFunction, Request, Response } from 'express';

export interface RequestLoadOptions {
  /** Milliseconds, monotonic. */
  now?: () => number;
  /** Event-loop utilisation (0–1) since the previous call with the same snapshot; `performance.eventLoopUtilization` when unset. */
  utilization?: (since: EventLoopUtilization | undefined) => { snapshot: EventLoopUtilization; utilization: number };
  /** After the last request ends, how long the server still counts as answering (the gap before a client's next request). */
  quietMs?: number;
  /** The loop must have been at least this busy (0–1) for the server to count as saturated. */
  saturatedAt?: number;
  /** How long a utilisation sample spans. */
  sampleMs?: number;
}

const realUtilization = (since: EventLoopUtilization | undefined) => {
  const snapshot = performance.eventLoopUtilization();
  return { snapshot, utilization: since ? performance.eventLoopUtilization(snapshot, since).utilization : 0 };
};

/**
 * Whether the server is saturated with requests right now. Background work
 * that shares the process (the inbox worker) reads `saturated()` to step aside
 * during a burst, so acknowledging webhooks stays fast and the handling
 * catches up after. Only requests with a body count (webhooks, callbacks,
 * triggers, form posts): a long-lived panel stream must not look like a burst.
 * A trickle of requests on an idle loop is not a burst either, so the work is
 * not delayed when nothing would be gained.
 */
export class RequestLoad {
  private current = 0;
  private lastSeen = Number.NEGATIVE_INFINITY;
  private sample: EventLoopUtilization | undefined;
  private sampledAt = Number.NEGATIVE_INFINITY;
  private busyShare = 0;
  private readonly now: () => number;
  private readonly utilization: NonNullable<RequestLoadOptions['utilization']>;
  private readonly quietMs: number;
  private readonly saturatedAt: number;
  private readonly sampleMs: number;

  constructor(options: RequestLoadOptions = {}) {
    this.now = options.now ?? (() => performance.now());
    this.utilization = options.utilization ?? realUtilization;
    this.quietMs = options.quietMs ?? 20;
    this.saturatedAt = options.saturatedAt ?? 0.5;
    this.sampleMs = options.sampleMs ?? 20;
  }

  get inFlight(): number {
    return this.current;
  }

  /** Requests were in flight within the quiet window and the event loop is mostly busy. */
  saturated(): boolean {
    const now = this.now();
    if (now - this.sampledAt >= this.sampleMs) {
      const { snapshot, utilization } = this.utilization(this.sample);
      this.sample = snapshot;
      this.sampledAt = now;
      this.busyShare = utilization;
    }
    const answering = this.current > 0 || now - this.lastSeen < this.quietMs;
    return answering && this.busyShare >= this.saturatedAt;
  }

  /** Counts the request until its answer is done (or its connection gone). */
  track(res: ServerResponse): void {
    this.current += 1;
    this.lastSeen = this.now();
    res.once('close', () => {
      this.current -= 1;
      this.lastSeen = this.now();
    });
  }

  middleware() {
    return (req: Request, res: Response, next: NextFunction): void => {
      if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS') this.track(res);
      next();
    };
  }
}
