import type { Logger } from 'pino';
import type { TriggerSource } from '../domain/run.js';
import { foldEvaluation } from './fold-evaluation.js';
import type { IntakeCycleResult, TicketRef } from './intake-cycle.js';

export interface PollerOptions {
  intervalMs: number;
  runCycle: (request: { only?: readonly TicketRef[]; triggerSource: TriggerSource }) => Promise<IntakeCycleResult>;
  log: Logger;
  /**
   * Asked before each scheduled full cycle: false (another replica holds the
   * leader lease) skips it until the next interval. Targeted evaluations and
   * `runNow` are not asked: claims are atomic, so any replica may run those.
   */
  mayRunFullCycle?: () => boolean;
}

/**
 * Runs intake: a full cycle at once and then every `intervalMs`, and a
 * targeted evaluation as soon as a webhook names a ticket. Single-flight:
 * evaluations never overlap, so two of them cannot both plan the same free
 * slot; work that arrives meanwhile runs right after, coalesced.
 */
export class Poller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private fullDue = false;
  /** The due full cycle was asked for by `runNow`, not the timer. */
  private forced = false;
  private readonly pending = new Map<string, TicketRef>();
  /** Callers of `evaluate` waiting for the evaluation that covers their ticket, by ticket key. */
  private readonly waiters = new Map<string, Waiter[]>();
  private stopped = true;
  private latestFull: IntakeCycleResult | undefined;

  constructor(private readonly options: PollerOptions) {}

  /** The last full cycle's result (blockers, errors), if one ran, with the findings of later webhook evaluations folded in. */
  get latest(): IntakeCycleResult | undefined {
    return this.latestFull;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.fullDue = true;
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    // Nobody evaluates them now: their callers (webhook deliveries) fail and are handled again later.
    this.settle([...this.waiters.keys()], new Error('the poller stopped before evaluating the ticket'));
  }

  /** Evaluates one ticket as soon as possible (a webhook said it changed). */
  requestEvaluation(ref: TicketRef): void {
    this.pending.set(keyOf(ref), ref);
    this.kick();
  }

  /**
   * Like `requestEvaluation`, and resolves once an evaluation covering the
   * ticket (its own, coalesced with others, or a full cycle) has finished;
   * rejects when that evaluation failed or the poller stopped first. A webhook
   * delivery awaits it, so it is completed only after its ticket was
   * evaluated: a replica killed meanwhile leaves the delivery to be handled
   * again, not lost until the next poll.
   */
  evaluate(ref: TicketRef): Promise<void> {
    const key = keyOf(ref);
    const settled = new Promise<void>((resolve, reject) => {
      const list = this.waiters.get(key) ?? [];
      list.push({ resolve, reject });
      this.waiters.set(key, list);
    });
    this.requestEvaluation(ref);
    return settled;
  }

  private settle(keys: readonly string[], error?: unknown): void {
    for (const key of keys) {
      const list = this.waiters.get(key);
      if (!list) continue;
      this.waiters.delete(key);
      for (const waiter of list) {
        if (error === undefined) waiter.resolve();
        else waiter.reject(error);
      }
    }
  }

  /** Runs a full cycle as soon as possible, if `mayRunFullCycle` still agrees then (this replica just took the lead). */
  requestFullCycle(): void {
    this.fullDue = true;
    this.kick();
  }

  /** Runs a full cycle now (after any evaluation in flight) and resolves when it is done. */
  async runNow(): Promise<IntakeCycleResult | undefined> {
    this.fullDue = true;
    this.forced = true;
    this.kick();
    while (this.running) await this.running;
    return this.latestFull;
  }

  private kick(): void {
    if (this.stopped || this.running) return;
    this.running = this.drain().finally(() => {
      this.running = undefined;
      // Work that arrived during the last step of the drain.
      if (!this.stopped && (this.fullDue || this.pending.size > 0)) this.kick();
    });
  }

  private async drain(): Promise<void> {
    while (!this.stopped && (this.fullDue || this.pending.size > 0)) {
      if (this.fullDue) {
        this.fullDue = false;
        const forced = this.forced;
        this.forced = false;
        if (this.timer) clearTimeout(this.timer);
        if (!forced && this.options.mayRunFullCycle && !this.options.mayRunFullCycle()) {
          this.schedule();
          continue;
        }
        // A full cycle sees every ticket, so it answers whoever waits for one.
        const covered = [...this.pending.keys(), ...this.waiters.keys()];
        this.pending.clear();
        try {
          const result = await this.options.runCycle({ triggerSource: 'poll' });
          this.latestFull = result;
          this.settle(covered);
        } catch (error) {
          this.options.log.error({ err: error }, 'intake cycle failed');
          this.settle(covered, error);
        }
        this.schedule();
      } else {
        const tickets = [...this.pending.values()];
        this.pending.clear();
        // One evaluation per tracker, so each run records whose webhook started it.
        for (const tracker of [...new Set(tickets.map((t) => t.tracker))]) {
          const only = tickets.filter((t) => t.tracker === tracker);
          try {
            const evaluated = await this.options.runCycle({ only, triggerSource: tracker === 'jira' ? 'jira-webhook' : 'linear-webhook' });
            if (this.latestFull) this.latestFull = foldEvaluation(this.latestFull, evaluated, only);
            // A tracker that could not be read leaves its tickets unevaluated: their deliveries are tried again.
            const unread = evaluated.errors.find((e) => e.tracker === tracker);
            this.settle(only.map(keyOf), unread ? new Error(`${tracker} could not be read: ${unread.message}`) : undefined);
          } catch (error) {
            this.options.log.error({ err: error, tickets: only.map((t) => t.issueId) }, 'ticket evaluation failed');
            this.settle(only.map(keyOf), error);
          }
        }
      }
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.fullDue = true;
      this.kick();
    }, this.options.intervalMs);
    this.timer.unref();
  }
}

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

const keyOf = (ref: TicketRef): string => `${ref.tracker}:${ref.issueId}`;
