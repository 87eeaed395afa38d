import type { HistoryPointer, HistoryPort } from './hot-doc.js';

export type AppendLogStream = 'audit' | 'reaper';

/** Per entry of an append-only log: its time, the two fields lists filter and summaries count by, where it is. */
export interface LogEntry {
  atMs: number;
  /** audit: [actor, action]; reaper: [rule, mode]. */
  keys: readonly [string, string];
  pointer: HistoryPointer;
}

/** A filter on the two keys; undefined matches anything. */
export type LogKeyFilter = readonly [string | undefined, string | undefined];

/** [key 1, key 2, entries] for entries at or after a time. */
export type LogTally = [string, string, number][];

/**
 * The index of an append-only history log (audit events, reaper actions).
 * Entries are numbered in append order from 0 (`seq`), which is what list
 * cursors carry, so a cursor stays valid across restarts. The memory store
 * keeps it in memory; the lowdb store on disk beside the log's files
 * (`lowdb/sidecar-log-catalog.ts`).
 */
export interface LogCatalog {
  open(): Promise<void>;
  close(): Promise<void>;
  /** Records an entry whose record just became durable. */
  add(entry: LogEntry): void;
  /** How many entries there are (the next seq). */
  readonly size: number;
  /** Entries matching `filter`, newest first, from `startSeq` (inclusive) down. */
  descending(startSeq: number, filter: LogKeyFilter): AsyncGenerator<{ seq: number; entry: LogEntry }>;
  tallySince(sinceMs: number): Promise<LogTally>;
}

export function logKeysOf(stream: AppendLogStream, record: unknown): [string, string] {
  const r = record as Record<string, unknown>;
  return stream === 'audit' ? [String(r['actor']), String(r['action'])] : [String(r['rule']), String(r['mode'])];
}

export function matchesKeys(keys: readonly [string, string], filter: LogKeyFilter): boolean {
  return (filter[0] === undefined || keys[0] === filter[0]) && (filter[1] === undefined || keys[1] === filter[1]);
}

export function addToTally(tally: Map<string, [string, string, number]>, keys: readonly [string, string], n: number): void {
  const id = `${keys[0]}\u0000${keys[1]}`;
  const row = tally.get(id) ?? [keys[0], keys[1], 0];
  row[2] += n;
  tally.set(id, row);
}

/** A whole log indexed in memory, rebuilt by one scan at open. */
export class MemoryLogCatalog implements LogCatalog {
  private entries: LogEntry[] = [];

  constructor(
    private readonly history: HistoryPort,
    private readonly stream: AppendLogStream,
  ) {}

  async open(): Promise<void> {
    const entries: LogEntry[] = [];
    await this.history.scan(this.stream, (record, pointer) => {
      entries.push({ atMs: Date.parse(String((record as Record<string, unknown>)['at'])), keys: logKeysOf(this.stream, record), pointer });
    });
    this.entries = entries;
  }

  async close(): Promise<void> {}

  add(entry: LogEntry): void {
    this.entries.push(entry);
  }

  get size(): number {
    return this.entries.length;
  }

  async *descending(startSeq: number, filter: LogKeyFilter): AsyncGenerator<{ seq: number; entry: LogEntry }> {
    for (let seq = Math.min(startSeq, this.entries.length - 1); seq >= 0; seq--) {
      const entry = this.entries[seq]!;
      if (matchesKeys(entry.keys, filter)) yield { seq, entry };
    }
  }

  async tallySince(sinceMs: number): Promise<LogTally> {
    const tally = new Map<string, [string, string, number]>();
    for (const e of this.entries) if (e.atMs >= sinceMs) addToTally(tally, e.keys, 1);
    return [...tally.values()];
  }
}
