import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { RunHistoryRecord } from '../core/hot-doc.js';
import { toIndexEntry } from '../core/run-index.js';
import { isTerminal } from '../../domain/run-status.js';
import { ValidationError } from '../../errors/index.js';
import type { Clock } from '../store.js';
import { acquireDataDirLock } from './data-dir-lock.js';
import { HISTORY_DIR_NAME } from './create-lowdb-store.js';
import { JsonlHistory } from './jsonl-history.js';
import { SidecarRunCatalog } from './sidecar-run-catalog.js';

/**
 * Bulk path for imports and benchmarks: appends finished runs straight to the
 * history files of a CLOSED data directory (it takes the lock), in large
 * fsync'd chunks, and keeps the on-disk run index up to date as the store
 * itself does, so the next open reads only the newest file. Run ids must be
 * new to history (a run already there is not replaced).
 */
export async function seedRunHistory(
  dataDir: string,
  records: Iterable<RunHistoryRecord>,
  /** `clock` stamps the directory lock (a tool's entry point, so the real one by default). */
  options: { historyFileBytes?: number; chunk?: number; clock?: Clock } = {},
): Promise<number> {
  await mkdir(dataDir, { recursive: true });
  const release = await acquireDataDirLock(dataDir, options.clock ?? Date.now);
  const historyDir = path.join(path.resolve(dataDir), HISTORY_DIR_NAME);
  const history = new JsonlHistory(historyDir, options.historyFileBytes);
  const catalog = new SidecarRunCatalog(history, historyDir);
  const chunkSize = options.chunk ?? 2000;
  let batch: RunHistoryRecord[] = [];
  let count = 0;
  const flush = async () => {
    const pointers = await history.append('runs', batch);
    pointers.forEach((pointer, i) => catalog.add(toIndexEntry(batch[i]!.run, pointer)));
    count += batch.length;
    batch = [];
  };
  try {
    await catalog.open();
    for (const record of records) {
      if (!isTerminal(record.run.status)) throw new ValidationError(`run ${record.run.id} is not finished`, 'status');
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
