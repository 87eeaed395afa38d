import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Low } from 'lowdb';
import { EngineStore } from '../core/engine-store.js';
import { emptyHotDoc, type HotDoc, type HotPort } from '../core/hot-doc.js';
import type { Clock } from '../store.js';
import { AtomicJsonFile } from './atomic-json-file.js';
import { acquireDataDirLock } from './data-dir-lock.js';
import { JsonlHistory } from './jsonl-history.js';
import { InboxJournal } from './inbox-journal.js';
import { legacyPayloadLog } from './legacy-payload-log.js';
import { SidecarLogCatalog } from './sidecar-log-catalog.js';
import { SidecarRunCatalog } from './sidecar-run-catalog.js';

export const HOT_FILE_NAME = 'store.json';
export const HISTORY_DIR_NAME = 'history';
export const INBOX_DIR_NAME = 'inbox';
/** Where inbox payloads went before the inbox journal; migrated and deleted at open. */
export const LEGACY_PAYLOAD_DIR_NAME = 'payloads';

export interface LowdbStoreOptions {
  dataDir: string;
  clock?: Clock;
  newId?: () => string;
  inboxRetentionMs?: number;
  /** Rotate a history file once it passes this size (default 8 MiB). */
  historyFileBytes?: number;
  /** Checkpoint the inbox journal once its file passes this size (default 64 MiB). */
  journalFileBytes?: number;
  /** … or once this many inbox records were appended since the last checkpoint (default 100,000). */
  journalCheckpointRecords?: number;
}

/** The hot document in `<dataDir>/store.json` through lowdb, guarded by the directory lock. */
class LowdbHot implements HotPort {
  private readonly low: Low<HotDoc>;
  private release: (() => Promise<void>) | undefined;

  constructor(
    private readonly dataDir: string,
    private readonly clock: Clock,
  ) {
    this.low = new Low<HotDoc>(new AtomicJsonFile<HotDoc>(path.join(dataDir, HOT_FILE_NAME)), emptyHotDoc());
  }

  async open(): Promise<HotDoc> {
    await mkdir(this.dataDir, { recursive: true });
    this.release = await acquireDataDirLock(this.dataDir, this.clock);
    try {
      return await this.reload();
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  async reload(): Promise<HotDoc> {
    this.low.data = emptyHotDoc();
    await this.low.read();
    return this.low.data;
  }

  async save(doc: HotDoc): Promise<void> {
    this.low.data = doc;
    await this.low.write();
  }

  async close(): Promise<void> {
    const release = this.release;
    this.release = undefined;
    await release?.();
  }
}

/** The embedded default store: one writer process per data directory. */
export function createLowdbStore(options: LowdbStoreOptions): EngineStore {
  const dataDir = path.resolve(options.dataDir);
  // One clock for the records and the directory lock; the composition root passes its own.
  const clock = options.clock ?? Date.now;
  const historyDir = path.join(dataDir, HISTORY_DIR_NAME);
  const history = new JsonlHistory(historyDir, options.historyFileBytes);
  return new EngineStore({
    hot: new LowdbHot(dataDir, clock),
    history,
    runCatalog: new SidecarRunCatalog(history, historyDir),
    auditLog: new SidecarLogCatalog(history, historyDir, 'audit'),
    reaperLog: new SidecarLogCatalog(history, historyDir, 'reaper'),
    journal: new InboxJournal(path.join(dataDir, INBOX_DIR_NAME), {
      ...(options.journalFileBytes !== undefined ? { maxFileBytes: options.journalFileBytes } : {}),
      ...(options.journalCheckpointRecords !== undefined ? { checkpointRecords: options.journalCheckpointRecords } : {}),
    }),
    legacyPayloads: legacyPayloadLog(path.join(dataDir, LEGACY_PAYLOAD_DIR_NAME)),
    clock,
    ...(options.newId ? { newId: options.newId } : {}),
    ...(options.inboxRetentionMs !== undefined ? { inboxRetentionMs: options.inboxRetentionMs } : {}),
  });
}
