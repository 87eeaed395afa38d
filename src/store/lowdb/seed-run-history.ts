import type { RunHistoryRecord } from '../core/hot-doc.js';
import { toIndexEntry } from '../core/run-index.js';
import { isTerminal } from '../../domain/run-status.js';
import { ValidationError } from '../../errors/index.js';
import { seedHistory, type SeedHistoryOptions } from './seed-history.js';
import { SidecarRunCatalog } from './sidecar-run-catalog.js';

/**
 * Bulk path for imports and benchmarks: appends finished runs straight to the
 * history files of a CLOSED data directory (it takes the lock), in large
 * fsync'd chunks, and keeps the on-disk run index up to date as the store
 * itself does, so the next open reads only the newest file. Run ids must be
 * new to history (a run already there is not replaced).
 */
export function seedRunHistory(dataDir: string, records: Iterable<RunHistoryRecord>, options: SeedHistoryOptions = {}): Promise<number> {
  return seedHistory(
    dataDir,
    'runs',
    records,
    options,
    (history, historyDir) => new SidecarRunCatalog(history, historyDir),
    (catalog, record, pointer) => catalog.add(toIndexEntry(record.run, pointer)),
    (record) => {
      if (!isTerminal(record.run.status)) throw new ValidationError(`run ${record.run.id} is not finished`, 'status');
    },
  );
}
