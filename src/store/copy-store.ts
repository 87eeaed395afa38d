import { countInto, emptyCounts, type RecordCounts } from './core/import-records.js';
import type { StoreRecord } from './store-records.js';
import type { Store } from './store.js';

export interface StoreCopyReport {
  /** What the source handed over, per kind. */
  read: RecordCounts;
  /** Records in the target afterwards, per kind. */
  target: RecordCounts;
  /** Kinds whose counts disagree (read vs. target, or the source's own count vs. what it handed over); empty when the copy is whole. */
  mismatches: string[];
}

/** A store that can hand over everything it holds, and take everything into an empty copy of itself. */
export interface MovableStore extends Store {
  exportRecords(): AsyncGenerator<StoreRecord>;
  /** Refuses (ConfigError) unless the store is empty. */
  importRecords(records: AsyncIterable<StoreRecord>): Promise<RecordCounts>;
  countRecords(): Promise<RecordCounts>;
}

/**
 * Copies one open store into another, empty one — the embedded store into
 * PostgreSQL, or back for a single-node downgrade — and checks the copy by
 * counts: every kind read against what the target holds afterwards, and,
 * where the Store API can count, the source's own count against what it
 * handed over.
 */
export async function copyStore(source: MovableStore, target: MovableStore): Promise<StoreCopyReport> {
  const read = emptyCounts();
  async function* counted(): AsyncGenerator<StoreRecord> {
    for await (const record of source.exportRecords()) {
      countInto(read, record);
      yield record;
    }
  }
  await target.importRecords(counted());
  const counts = await target.countRecords();
  const mismatches: string[] = [];
  for (const kind of Object.keys(read) as (keyof RecordCounts)[]) {
    if (read[kind] !== counts[kind]) mismatches.push(`${kind}: read ${read[kind]}, target holds ${counts[kind]}`);
  }
  const own: [keyof RecordCounts, number][] = [
    ['run', await source.runs.countRuns()],
    ['mapping', (await source.mappings.list()).length],
    ['setting', Object.keys(await source.settings.all()).length],
    ['secret', (await source.secrets.list()).length],
    ['schedule', (await source.schedules.list()).length],
  ];
  for (const [kind, n] of own) if (n !== read[kind]) mismatches.push(`${kind}: the source counts ${n}, handed over ${read[kind]}`);
  return { read, target: counts, mismatches };
}
