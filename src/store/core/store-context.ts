import type { Clock } from '../store.js';
import type { CommitQueue } from './commit-queue.js';
import type { HistoryPort, HotDoc } from './hot-doc.js';
import type { LogCatalog } from './log-catalog.js';
import type { InboxState } from './inbox-state.js';
import type { RunCatalog } from './run-catalog.js';
import type { RunIndexEntry } from './run-index.js';

/** What every repository of the engine store shares. */
export interface StoreContext {
  doc(): HotDoc;
  readonly queue: CommitQueue;
  readonly history: HistoryPort;
  readonly inbox: InboxState;
  readonly runCatalog: RunCatalog;
  /**
   * History entries of runs that are also in the hot document (a crash
   * between the history append and the hot rewrite). The hot copy wins, so
   * counts leave these out, and the run's next retirement replaces them.
   */
  readonly historicCopies: Map<string, RunIndexEntry>;
  readonly auditLog: LogCatalog;
  readonly reaperLog: LogCatalog;
  readonly clock: Clock;
  readonly newId: () => string;
  readonly inboxRetentionMs: number;
  assertOpen(): void;
}

/** Drops keys whose value is undefined so stored JSON stays clean. */
export function compact<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = v;
  return out as T;
}
