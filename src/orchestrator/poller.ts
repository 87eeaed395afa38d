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
  }

  /** Evaluates one ticket as soon as possible (a webhook said it changed). */
  requestEvaluation(ref: TicketRef): void {
    this.pending.set(`${ref.tracker}:${ref.issueId}`, ref);
    this.kick();
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
        this.pending.clear(); // a full cycle sees every ticket
        try {
          const result = await this.options.runCycle({ triggerSource: 'poll' });
          this.latestFull = result;
        } catch (error) {
          this.options.log.error({ err: error }, 'intake cycle failed');
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
          } catch (error) {
            this.options.log.error({ err: error, tickets: only.map((t) => t.issueId) }, 'ticket evaluation failed');
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
