import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { AuditEvent } from '../../domain/audit-event.js';
import type { ReaperAction } from '../../domain/reaper-action.js';
import { toMs } from '../core/codec.js';
import { logKeysOf, type AppendLogStream } from '../core/log-catalog.js';
import type { Clock } from '../store.js';
import { acquireDataDirLock } from './data-dir-lock.js';
import { HISTORY_DIR_NAME } from './create-lowdb-store.js';
import { JsonlHistory } from './jsonl-history.js';
import { SidecarLogCatalog } from './sidecar-log-catalog.js';

/**
 * Bulk path for imports and benchmarks, like `seedRunHistory`: appends audit
 * events or reaper actions to the history of a CLOSED data directory and keeps
 * their on-disk index up to date.
 */
export async function seedLogHistory<S extends AppendLogStream>(
  dataDir: string,
  stream: S,
  records: Iterable<S extends 'audit' ? AuditEvent : ReaperAction>,
  options: { historyFileBytes?: number; chunk?: number; clock?: Clock } = {},
): Promise<number> {
  await mkdir(dataDir, { recursive: true });
  const release = await acquireDataDirLock(dataDir, options.clock ?? Date.now);
  const historyDir = path.join(path.resolve(dataDir), HISTORY_DIR_NAME);
  const history = new JsonlHistory(historyDir, options.historyFileBytes);
  const catalog = new SidecarLogCatalog(history, historyDir, stream);
  const chunkSize = options.chunk ?? 2000;
  let batch: (AuditEvent | ReaperAction)[] = [];
  let count = 0;
  const flush = async () => {
    const pointers = await history.append(stream, batch);
    pointers.forEach((pointer, i) => catalog.add({ atMs: toMs(batch[i]!.at, 'at'), keys: logKeysOf(stream, batch[i]), pointer }));
    count += batch.length;
    batch = [];
  };
  try {
    await catalog.open();
    for (const record of records) {
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
