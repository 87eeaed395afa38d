import type { EngineStore } from './core/engine-store.js';
import type { PostgresStore } from './postgres/create-postgres-store.js';
import { emptyCounts, type RecordCounts } from './postgres/import-records.js';
import type { StoreRecord } from './store-records.js';

export interface StoreCopyReport {
  /** What the source handed over, per kind. */
  read: RecordCounts;
  /** Rows in the target afterwards, per kind. */
  target: RecordCounts;
  /** Kinds whose counts disagree (read vs. target, or the source's own count vs. what it handed over); empty when the copy is whole. */
  mismatches: string[];
}

/**
 * Copies an open embedded store (lowdb or memory) into an open, empty
 * PostgreSQL store and checks the copy by counts: every kind read against
 * the rows in the target, and, where the Store API can count, the source's
 * own count against what it handed over.
 */
export async function copyStore(source: EngineStore, target: PostgresStore): Promise<StoreCopyReport> {
  const read = emptyCounts();
  async function* counted(): AsyncGenerator<StoreRecord> {
    for await (const record of source.exportRecords()) {
      read[record.kind]++;
      if (record.kind === 'run') read.step += record.steps.length;
      yield record;
    }
  }
  await target.importRecords(counted());
  const counts = await target.countRows();
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
