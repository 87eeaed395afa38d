import type { Logger } from 'pino';
import type { DeliverySource, InboxDelivery, NewDelivery } from '../domain/inbox-delivery.js';
import type { Store } from '../store/store.js';

export type DeliveryHandler = (delivery: InboxDelivery) => Promise<void>;

export interface InboxWorkerOptions {
  store: Store;
  handlers: Partial<Record<DeliverySource, DeliveryHandler>>;
  log: Logger;
  clock: () => number;
  /** How long a leased delivery is ours before another worker may take it (crash recovery). */
  leaseMs?: number;
  /** How often the inbox is checked without a wake-up (retries, leases that expired). */
  idlePollMs?: number;
  batchSize?: number;
  /** Delay before the n-th retry of a failed delivery. */
  retryDelayMs?: (attempts: number) => number;
  maxAttempts?: number;
  /**
   * True while the process is saturated with requests: the worker then waits
   * before taking more work, so acknowledgements keep their latency during a
   * burst. It never waits more than `maxDeferMs` in a row; after such a wait
   * it works for `workSliceMs` without stepping aside, so a load that never
   * lets up still leaves it a share of the process.
   */
  busy?: () => boolean;
  maxDeferMs?: number;
  workSliceMs?: number;
  /**
   * What the step-aside times its waits with. They are real waits on real
   * timers, so they cannot follow a test's frozen `clock`; the wiring passes a
   * real clock (Date.now when unset).
   */
  waitClock?: () => number;
}

/**
 * Runs webhook handlers from the durable inbox, never from the request: a
 * delivery is leased, handled, then completed; a handler that throws (or a
 * process that dies mid-handler) leaves it to be retried, not lost.
 */
export class InboxWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  /** Wakes a drain that is waiting on handlers in hand with nothing due (a delivery arrived). */
  private wake: (() => void) | undefined;
  private stopped = true;
  /** Until when the worker works on without stepping aside (it waited as long as it may). */
  private sliceUntil = 0;
  private readonly waitClock: () => number;

  constructor(private readonly options: InboxWorkerOptions) {
    this.waitClock = options.waitClock ?? Date.now;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.notify();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
    await this.running;
  }

  /**
   * Every webhook route's one way in: records the verified delivery durably
   * (deduplicated by its id) and, when it is new, handles it now rather than
   * at the next idle poll. Resolves once it is safe to acknowledge.
   */
  readonly accept = async (delivery: NewDelivery): Promise<{ duplicate: boolean }> => {
    const { inserted } = await this.options.store.inbox.enqueueDelivery(delivery);
    if (inserted) this.notify();
    return { duplicate: !inserted };
  };

  /** A delivery arrived: handle it now rather than at the next idle poll. */
  notify(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      this.wake?.();
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.notify();
      } else this.idle();
    });
  }

  private idle(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.notify(), this.options.idlePollMs ?? 5_000);
    this.timer.unref();
  }

  /**
   * Keeps up to `batchSize` deliveries in hand, leasing more once half of
   * them are done rather than when the whole batch is: one slow handler (a
   * GitHub API call that takes seconds) does not hold up the rest, and the
   * next lease is made durable while handlers still run.
   */
  private async drain(): Promise<void> {
    const { store, clock, log } = this.options;
    const window = this.options.batchSize ?? 20;
    const inHand = new Set<Promise<void>>();
    const start = (delivery: InboxDelivery) => {
      const handling: Promise<void> = this.handle(delivery)
        // The store could not record the outcome: the lease runs out and the delivery is handled again.
        .catch((error: unknown) => log.error({ err: error, deliveryId: delivery.id }, 'could not record the outcome of a webhook delivery'))
        .finally(() => inHand.delete(handling));
      inHand.add(handling);
    };
    try {
      for (;;) {
        while (inHand.size > window / 2) await Promise.race(inHand);
        await this.stepAside();
        if (this.stopped) return;
        // The lease sees every delivery notified so far.
        this.again = false;
        let batch: InboxDelivery[];
        try {
          batch = await store.inbox.leaseDeliveries(window - inHand.size, this.options.leaseMs ?? 60_000, clock());
        } catch (error) {
          log.error({ err: error }, 'could not lease webhook deliveries; trying again at the next poll');
          return;
        }
        for (const delivery of batch) start(delivery);
        if (batch.length === 0) {
          if (inHand.size === 0) return;
          // A delivery notified while the lease ran may have missed it: lease again at once.
          if (!this.again) await this.waitForWork(Promise.all(inHand));
          if (this.stopped || (inHand.size === 0 && !this.again)) return;
        }
      }
    } finally {
      await Promise.all(inHand);
    }
  }

  /**
   * Nothing is due but handlers are still in hand: waits until a delivery
   * arrives (`notify`), the idle poll comes round (retries falling due) or the
   * last handler is done — not merely until one of them is, which would
   * lease an empty inbox again at every completion.
   */
  private async waitForWork(handled: Promise<unknown>): Promise<void> {
    let poll: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        handled,
        new Promise<void>((resolve) => {
          this.wake = resolve;
          poll = setTimeout(resolve, this.options.idlePollMs ?? 5_000);
        }),
      ]);
    } finally {
      this.wake = undefined;
      clearTimeout(poll);
    }
  }

  private async stepAside(): Promise<void> {
    const { busy } = this.options;
    const now = this.waitClock;
    if (!busy || now() < this.sliceUntil) return;
    const until = now() + (this.options.maxDeferMs ?? 2_000);
    while (busy() && !this.stopped && now() < until) await new Promise((resolve) => setTimeout(resolve, 5));
    if (busy()) this.sliceUntil = now() + (this.options.workSliceMs ?? 250);
  }

  private async handle(delivery: InboxDelivery): Promise<void> {
    const { store, clock } = this.options;
    const log = this.options.log.child({ deliveryId: delivery.id, source: delivery.source, event: delivery.event });
    const handler = this.options.handlers[delivery.source];
    if (!handler) {
      await store.inbox.failDelivery(delivery.id, `no handler for ${delivery.source} deliveries`, new Date(clock() + 3_600_000).toISOString());
      return;
    }
    try {
      await handler(delivery);
      await store.inbox.completeDelivery(delivery.id);
    } catch (error) {
      const attempts = delivery.attempts;
      const giveUp = attempts >= (this.options.maxAttempts ?? 10);
      const delay = this.options.retryDelayMs?.(attempts) ?? Math.min(300_000, 1_000 * 2 ** Math.max(0, attempts - 1));
      log.warn({ err: error, attempts, giveUp }, 'webhook handler failed');
      await store.inbox.failDelivery(delivery.id, (error as Error).message, giveUp ? null : new Date(clock() + delay).toISOString());
    }
  }
}
