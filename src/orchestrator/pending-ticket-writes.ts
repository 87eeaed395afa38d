import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { TrackerKind } from '../domain/mapping.js';
import type { WorkItem, WorkMarker } from '../domain/work-item.js';
import { ExternalServiceError, NotFoundError } from '../errors/index.js';
import type { Clock, Store } from '../store/store.js';
import type { IssueTracker, TransitionTarget } from '../trackers/issue-tracker.js';

/** The trackers the composition root configured; a kind left out has no credentials. */
export type Trackers = Partial<Record<TrackerKind, IssueTracker>>;

/** One idempotent ticket write, as plain JSON so it can wait in the store for a retry. */
export type TicketWrite = { tracker: TrackerKind; issueId: string; runId: string } & (
  | { op: 'transition'; target: TransitionTarget; stateName?: string }
  | { op: 'add-marker'; marker: WorkMarker }
  | { op: 'remove-marker'; marker: WorkMarker }
  | { op: 'comment'; key: string; body: string }
);

export interface PendingTicketWrite {
  id: string;
  write: TicketWrite;
  attempts: number;
  /** Epoch ms of the next try. */
  nextAttemptAt: number;
  lastError: string;
  createdAt: string;
}

export interface RetrySummary {
  attempted: number;
  succeeded: number;
  /** Still pending, with a later next try. */
  deferred: number;
  /** Dropped: the ticket is gone or the attempts ran out. */
  dropped: number;
}

export interface PendingTicketWritesOptions {
  store: Store;
  trackers: Trackers;
  clock: Clock;
  log: Logger;
  newId?: () => string;
  /** Tries after the first failure before a write is dropped (default 12). */
  maxAttempts?: number;
  /** First back-off; doubles per attempt up to `maxDelayMs` (defaults 30 s and 1 h). */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export interface PendingTicketWrites {
  /** Runs the writes; failed ones are queued durably and described in the returned warnings. */
  apply(writes: readonly TicketWrite[]): Promise<string[]>;
  /** Called by the orchestrator each cycle: retries due writes. */
  retryPendingTicketWrites(): Promise<RetrySummary>;
  list(): Promise<PendingTicketWrite[]>;
}

/**
 * Each pending write is its own settings key, so two finishing runs never
 * read-modify-write the same document and lose each other's entries.
 */
export const PENDING_KEY_PREFIX = 'runner.pending-ticket-write.';

export async function executeTicketWrite(tracker: IssueTracker, item: WorkItem, write: TicketWrite): Promise<void> {
  switch (write.op) {
    case 'transition':
      return tracker.transition(item, write.target, write.stateName);
    case 'add-marker':
      return tracker.addMarker(item, write.marker);
    case 'remove-marker':
      return tracker.removeMarker(item, write.marker);
    case 'comment':
      await tracker.ensureComment(item, write.key, write.body);
  }
}

export function describeWrite(write: TicketWrite): string {
  switch (write.op) {
    case 'transition':
      return `transition to ${write.target}`;
    case 'add-marker':
      return `add marker ${write.marker}`;
    case 'remove-marker':
      return `remove marker ${write.marker}`;
    case 'comment':
      return `comment ${write.key}`;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

type Outcome = { ok: true } | { ok: false; error: unknown; gone: boolean };

export function createPendingTicketWrites(options: PendingTicketWritesOptions): PendingTicketWrites {
  const { store, trackers, clock, log } = options;
  const newId = options.newId ?? randomUUID;
  const maxAttempts = options.maxAttempts ?? 12;
  const baseDelayMs = options.baseDelayMs ?? 30_000;
  const maxDelayMs = options.maxDelayMs ?? 60 * 60 * 1000;

  function delayFor(attempts: number, error: unknown): number {
    const backoff = Math.min(baseDelayMs * 2 ** Math.max(0, attempts - 1), maxDelayMs);
    const asked = error instanceof ExternalServiceError ? (error.retryAfterMs ?? 0) : 0;
    return Math.max(backoff, asked);
  }

  /** Runs writes grouped by ticket so each ticket is fetched once. */
  async function run(writes: readonly TicketWrite[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    const items = new Map<string, Promise<WorkItem | undefined>>();
    for (const write of writes) {
      const tracker = trackers[write.tracker];
      if (!tracker) {
        outcomes.push({ ok: false, error: new NotFoundError(`no ${write.tracker} tracker is configured`), gone: true });
        continue;
      }
      const itemKey = `${write.tracker}:${write.issueId}`;
      if (!items.has(itemKey)) items.set(itemKey, tracker.getItem(write.issueId));
      try {
        const item = await items.get(itemKey);
        if (!item) {
          outcomes.push({ ok: false, error: new NotFoundError(`ticket ${write.issueId} no longer exists`), gone: true });
          continue;
        }
        await executeTicketWrite(tracker, item, write);
        outcomes.push({ ok: true });
      } catch (error) {
        // A failed lookup must not be cached as the answer for the next write of the same ticket.
        items.delete(itemKey);
        outcomes.push({ ok: false, error, gone: error instanceof NotFoundError });
      }
    }
    return outcomes;
  }

  async function list(): Promise<PendingTicketWrite[]> {
    const all = await store.settings.all();
    return Object.entries(all)
      .filter(([key]) => key.startsWith(PENDING_KEY_PREFIX))
      .map(([, value]) => value as PendingTicketWrite)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  return {
    list,

    async apply(writes) {
      const outcomes = await run(writes);
      const warnings: string[] = [];
      for (const [i, outcome] of outcomes.entries()) {
        const write = writes[i];
        if (outcome.ok || !write) continue;
        const what = `${write.tracker} ticket ${write.issueId}: ${describeWrite(write)}`;
        if (outcome.gone) {
          warnings.push(`${what} skipped (${messageOf(outcome.error)})`);
          continue;
        }
        const now = clock();
        const entry: PendingTicketWrite = {
          id: newId(),
          write,
          attempts: 1,
          nextAttemptAt: now + delayFor(1, outcome.error),
          lastError: messageOf(outcome.error),
          createdAt: new Date(now).toISOString(),
        };
        await store.settings.set(PENDING_KEY_PREFIX + entry.id, entry);
        log.warn({ runId: write.runId, write: describeWrite(write), err: outcome.error }, 'ticket write failed; queued for retry');
        warnings.push(`${what} failed (${entry.lastError}); queued for retry`);
      }
      return warnings;
    },

    async retryPendingTicketWrites() {
      const now = clock();
      const due = (await list()).filter((p) => p.nextAttemptAt <= now);
      const summary: RetrySummary = { attempted: due.length, succeeded: 0, deferred: 0, dropped: 0 };
      const outcomes = await run(due.map((p) => p.write));
      for (const [i, outcome] of outcomes.entries()) {
        const pending = due[i];
        if (!pending) continue;
        const key = PENDING_KEY_PREFIX + pending.id;
        if (outcome.ok) {
          summary.succeeded++;
          await store.settings.delete(key);
          continue;
        }
        const attempts = pending.attempts + 1;
        if (outcome.gone || attempts > maxAttempts) {
          summary.dropped++;
          await store.settings.delete(key);
          log.error({ runId: pending.write.runId, write: describeWrite(pending.write), attempts, err: outcome.error }, 'ticket write dropped');
          continue;
        }
        summary.deferred++;
        await store.settings.set(key, { ...pending, attempts, nextAttemptAt: clock() + delayFor(attempts, outcome.error), lastError: messageOf(outcome.error) });
      }
      return summary;
    },
  };
}
