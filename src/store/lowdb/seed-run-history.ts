import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { RunHistoryRecord } from '../core/hot-doc.js';
import { isTerminal } from '../../domain/run-status.js';
import { ValidationError } from '../../errors/index.js';
import type { Clock } from '../store.js';
import { acquireDataDirLock } from './data-dir-lock.js';
import { HISTORY_DIR_NAME } from './create-lowdb-store.js';
import { JsonlHistory } from './jsonl-history.js';

/**
 * Bulk path for imports and benchmarks: appends finished runs straight to the
 * history files of a CLOSED data directory (it takes the lock), in large
 * fsync'd chunks. The store indexes them on its next open.
 */
export async function seedRunHistory(
  dataDir: string,
  records: Iterable<RunHistoryRecord>,
  /** `clock` stamps the directory lock (a tool's entry point, so the real one by default). */
  options: { historyFileBytes?: number; chunk?: number; clock?: Clock } = {},
): Promise<number> {
  await mkdir(dataDir, { recursive: true });
  const release = await acquireDataDirLock(dataDir, options.clock ?? Date.now);
  const history = new JsonlHistory(path.join(path.resolve(dataDir), HISTORY_DIR_NAME), options.historyFileBytes);
  const chunkSize = options.chunk ?? 2000;
  let batch: RunHistoryRecord[] = [];
  let count = 0;
  try {
    for (const record of records) {
      if (!isTerminal(record.run.status)) throw new ValidationError(`run ${record.run.id} is not finished`, 'status');
      batch.push(record);
      if (batch.length >= chunkSize) {
        await history.append('runs', batch);
        count += batch.length;
        batch = [];
      }
    }
    await history.append('runs', batch);
    return count + batch.length;
  } finally {
    await history.close();
    await release();
  }
}
