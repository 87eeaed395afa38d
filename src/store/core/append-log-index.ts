import type { HistoryPointer } from './hot-doc.js';

export interface AppendLogEntry {
  atMs: number;
  /** Small fields that filters and summaries need without reading the record. */
  keys: Record<string, string>;
  pointer: HistoryPointer;
}

/** Append-order index over an append-only stream (audit, reaper). */
export class AppendLogIndex {
  readonly entries: AppendLogEntry[] = [];

  push(entry: AppendLogEntry): void {
    this.entries.push(entry);
  }
}
