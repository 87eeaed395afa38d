import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { HistoryPointer, HistoryStream } from '../core/hot-doc.js';
import type { Clock } from '../store.js';
import { acquireDataDirLock } from './data-dir-lock.js';
import { HISTORY_DIR_NAME } from './create-lowdb-store.js';
import { JsonlHistory } from './jsonl-history.js';

/** The part of an on-disk history index the bulk path drives. */
export interface SeededCatalog {
  open(): Promise<void>;
  close(): Promise<void>;
  /** Why sealing a history file's sidecar failed, if it did. */
  sealFailure: unknown;
}

export interface SeedHistoryOptions {
  historyFileBytes?: number;
  chunk?: number;
  /** Stamps the directory lock (a tool's entry point, so the real one by default). */
  clock?: Clock;
}

/**
 * The bulk path shared by `seedRunHistory` and `seedLogHistory`: takes the
 * lock of a CLOSED data directory, appends records to one history stream in
 * large fsync'd chunks, and tells the stream's on-disk index where each one
 * landed, as the store itself does.
 */
export async function seedHistory<T, C extends SeededCatalog>(
  dataDir: string,
  stream: HistoryStream,
  records: Iterable<T>,
  options: SeedHistoryOptions,
  catalogOf: (history: JsonlHistory, historyDir: string) => C,
  index: (catalog: C, record: T, pointer: HistoryPointer) => void,
  check: (record: T) => void = () => undefined,
): Promise<number> {
  await mkdir(dataDir, { recursive: true });
  const release = await acquireDataDirLock(dataDir, options.clock ?? Date.now);
  const historyDir = path.join(path.resolve(dataDir), HISTORY_DIR_NAME);
  const history = new JsonlHistory(historyDir, options.historyFileBytes);
  const catalog = catalogOf(history, historyDir);
  const chunkSize = options.chunk ?? 2000;
  let batch: T[] = [];
  let count = 0;
  const flush = async () => {
    const pointers = await history.append(stream, batch);
    pointers.forEach((pointer, i) => index(catalog, batch[i] as T, pointer));
    count += batch.length;
    batch = [];
  };
  try {
    await catalog.open();
    for (const record of records) {
      check(record);
      batch.push(record);
      if (batch.length >= chunkSize) await flush();
    }
    await flush();
    await catalog.close();
    if (catalog.sealFailure) throw catalog.sealFailure;
    return count;
  } finally {
    await catalog.close();
    await history.close();
    await release();
  }
}
