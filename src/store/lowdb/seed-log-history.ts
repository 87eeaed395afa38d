import type { AuditEvent } from '../../domain/audit-event.js';
import type { ReaperAction } from '../../domain/reaper-action.js';
import { toMs } from '../core/codec.js';
import { logKeysOf, type AppendLogStream } from '../core/log-catalog.js';
import { seedHistory, type SeedHistoryOptions } from './seed-history.js';
import { SidecarLogCatalog } from './sidecar-log-catalog.js';

/**
 * Bulk path for imports and benchmarks, like `seedRunHistory`: appends audit
 * events or reaper actions to the history of a CLOSED data directory and keeps
 * their on-disk index up to date.
 */
export function seedLogHistory<S extends AppendLogStream>(
  dataDir: string,
  stream: S,
  records: Iterable<S extends 'audit' ? AuditEvent : ReaperAction>,
  options: SeedHistoryOptions = {},
): Promise<number> {
  return seedHistory<AuditEvent | ReaperAction, SidecarLogCatalog>(
    dataDir,
    stream,
    records,
    options,
    (history, historyDir) => new SidecarLogCatalog(history, historyDir, stream),
    (catalog, record, pointer) => catalog.add({ atMs: toMs(record.at, 'at'), keys: logKeysOf(stream, record), pointer }),
  );
}
