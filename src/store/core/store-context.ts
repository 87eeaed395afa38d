import type { Clock } from '../store.js';
import type { CommitQueue } from './commit-queue.js';
import type { HistoryPort, HotDoc } from './hot-doc.js';
import type { RunHistoryIndex } from './run-index.js';
import type { AppendLogIndex } from './append-log-index.js';
import type { InboxState } from './inbox-state.js';

/** What every repository of the engine store shares. */
export interface StoreContext {
  doc(): HotDoc;
  readonly queue: CommitQueue;
  readonly history: HistoryPort;
  readonly inbox: InboxState;
  runIndex(): RunHistoryIndex;
  auditIndex(): AppendLogIndex;
  reaperIndex(): AppendLogIndex;
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
