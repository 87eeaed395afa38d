import type { HistoryPort, RunHistoryRecord } from './hot-doc.js';
import type { RunFilter } from './run-filter.js';
import { matchesFilter } from './run-filter.js';
import { RunHistoryIndex, toIndexEntry, type HourlyCounts, type RunIndexEntry, type RunKey } from './run-index.js';

/**
 * The index over finished runs in history: where each one is, and enough of
 * it to filter, page and count. The engine asks it and reads the records
 * through the HistoryPort. The memory store keeps it all in memory
 * (`MemoryRunCatalog`); the lowdb store keeps it on disk beside the history
 * files (`lowdb/sidecar-run-catalog.ts`), so memory and start time do not grow
 * with history.
 */
export interface RunCatalog {
  open(): Promise<void>;
  /** Waits for background index writes. */
  close(): Promise<void>;
  /**
   * Records a run whose history record just became durable. `replaces` is an
   * earlier history entry of the same run that the new record supersedes.
   */
  add(entry: RunIndexEntry, replaces?: RunIndexEntry): void;
  /** The newest entry for this run id. */
  find(id: string): Promise<RunIndexEntry | undefined>;
  /** Synchronous, for checks inside a commit: the entry if it is still held in memory (e.g. it entered history since open). */
  recent(id: string): RunIndexEntry | undefined;
  /** Changes whenever entries held in memory move to disk, so `recent` may have forgotten some. */
  readonly generation: number;
  /** Matching entries newest first by (createdAt, id), strictly below `before`. */
  descending(filter: RunFilter, before?: RunKey): AsyncGenerator<RunIndexEntry>;
  count(filter: RunFilter): Promise<number>;
  /** Runs created, and runs failed (by finish time), per hour from `startMs`. */
  hourly(startMs: number, hours: number): Promise<HourlyCounts>;
}

export function isRunRecord(value: unknown): value is RunHistoryRecord {
  const run = (value as RunHistoryRecord | null)?.run;
  return typeof run?.id === 'string' && typeof run.createdAt === 'string';
}

export function emptyHourly(hours: number): HourlyCounts {
  return { created: new Array<number>(hours).fill(0), failed: new Array<number>(hours).fill(0) };
}

/** The whole run history indexed in memory, rebuilt by one scan at open. */
export class MemoryRunCatalog implements RunCatalog {
  private index = new RunHistoryIndex();
  readonly generation = 0;

  constructor(private readonly history: HistoryPort) {}

  async open(): Promise<void> {
    const index = new RunHistoryIndex();
    await this.history.scan('runs', (record, pointer) => {
      if (isRunRecord(record)) index.add(toIndexEntry(record.run, pointer));
    });
    this.index = index;
  }

  async close(): Promise<void> {}

  add(entry: RunIndexEntry): void {
    this.index.add(entry);
  }

  async find(id: string): Promise<RunIndexEntry | undefined> {
    return this.index.get(id);
  }

  recent(id: string): RunIndexEntry | undefined {
    return this.index.get(id);
  }

  async *descending(filter: RunFilter, before?: RunKey): AsyncGenerator<RunIndexEntry> {
    for (const e of this.index.descending(before)) {
      if (e.createdMs < filter.fromMs) return;
      if (matchesFilter(e, filter)) yield e;
    }
  }

  async count(filter: RunFilter): Promise<number> {
    return this.index.count(filter);
  }

  async hourly(startMs: number, hours: number): Promise<HourlyCounts> {
    const out = emptyHourly(hours);
    this.index.addHourly(startMs, out);
    return out;
  }
}
