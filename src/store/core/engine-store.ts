import { randomUUID } from 'node:crypto';
import type { AuditLog, AdminSessionRepo, Clock, DedupLedger, MappingRepo, ReaperLog, RunRepo, ScheduleRepo, SecretRepo, SettingsRepo, Store, TokenLedger, WebhookInbox } from '../store.js';
import { StoreNotOpenError } from '../store.js';
import { CommitQueue, type CommitStats } from './commit-queue.js';
import { emptyHotDoc, type HistoryPort, type HotDoc, type HotPort } from './hot-doc.js';
import type { InboxJournalPort } from './inbox-journal-port.js';
import { exportRecords } from './export-records.js';
import { countInto, emptyCounts, importRecords, type RecordCounts } from './import-records.js';
import { createWebhookInbox } from './inbox-repo.js';
import { InboxState } from './inbox-state.js';
import { migrateLegacyInbox, type LegacyPayloads } from './migrate-legacy-inbox.js';
import { migrateLegacyRunNames } from './migrate-legacy-run-names.js';
import { MemoryLogCatalog, type LogCatalog } from './log-catalog.js';
import { createAuditLog, createReaperLog } from './log-repos.js';
import { MemoryRunCatalog, type RunCatalog } from './run-catalog.js';
import type { RunIndexEntry } from './run-index.js';
import { createRunRepo, retireTerminalRuns } from './runs-repo.js';
import { createAdminSessionRepo, createDedupLedger, createMappingRepo, createSecretRepo, createSettingsRepo, createTokenLedger } from './small-repos.js';
import { createScheduleRepo } from './schedule-repo.js';
import type { StoreContext } from './store-context.js';
import type { StoreRecord } from '../store-records.js';

export const DEFAULT_INBOX_RETENTION_MS = 8 * 24 * 3600_000;

export interface EngineStoreOptions {
  hot: HotPort;
  history: HistoryPort;
  /** Where the inbox lives, outside the hot document. */
  journal: InboxJournalPort;
  /** The index over finished runs (default: built in memory by scanning `history` at open). */
  runCatalog?: RunCatalog;
  /** The indexes of the audit and reaper logs (default: in memory, like `runCatalog`). */
  auditLog?: LogCatalog;
  reaperLog?: LogCatalog;
  /** Payloads of a data directory from before the inbox journal, moved into it at open. */
  legacyPayloads?: LegacyPayloads;
  clock?: Clock;
  newId?: () => string;
  /** How long completed deliveries stay recognisable as duplicates (≥ 8 days). */
  inboxRetentionMs?: number;
}

/**
 * The one implementation of the Store contract, over a pluggable place for
 * the hot document and the history streams (memory or files). Keeping one
 * engine means the memory store used by unit tests behaves exactly like the
 * embedded lowdb store.
 */
export class EngineStore implements Store {
  private doc: HotDoc = emptyHotDoc();
  private open_ = false;
  private readonly runCatalog: RunCatalog;
  private readonly historicCopies = new Map<string, RunIndexEntry>();
  private readonly logs: LogCatalog[];
  private readonly queue: CommitQueue;
  private readonly inboxState: InboxState;
  private readonly ctx: StoreContext;
  readonly mappings: MappingRepo;
  readonly runs: RunRepo;
  readonly dedup: DedupLedger;
  readonly inbox: WebhookInbox;
  readonly tokens: TokenLedger;
  readonly settings: SettingsRepo;
  readonly secrets: SecretRepo;
  readonly schedules: ScheduleRepo;
  readonly adminSessions: AdminSessionRepo;
  readonly reaper: ReaperLog;
  readonly audit: AuditLog;

  constructor(private readonly options: EngineStoreOptions) {
    this.inboxState = new InboxState(options.journal);
    this.runCatalog = options.runCatalog ?? new MemoryRunCatalog(options.history);
    const auditLog = options.auditLog ?? new MemoryLogCatalog(options.history, 'audit');
    const reaperLog = options.reaperLog ?? new MemoryLogCatalog(options.history, 'reaper');
    this.logs = [auditLog, reaperLog];
    this.queue = new CommitQueue(() => this.doc, options.hot, options.history, this.inboxState, async () => {
      this.doc = { ...emptyHotDoc(), ...((await options.hot.reload()) ?? {}) };
      this.noteHistoricCopiesAfterReload();
    });
    const ctx: StoreContext = {
      doc: () => this.doc,
      queue: this.queue,
      history: options.history,
      inbox: this.inboxState,
      runCatalog: this.runCatalog,
      historicCopies: this.historicCopies,
      auditLog,
      reaperLog,
      clock: options.clock ?? Date.now,
      newId: options.newId ?? randomUUID,
      inboxRetentionMs: Math.max(options.inboxRetentionMs ?? DEFAULT_INBOX_RETENTION_MS, 0),
      assertOpen: () => {
        if (!this.open_) throw new StoreNotOpenError('store is not open');
      },
    };
    this.ctx = ctx;
    this.mappings = createMappingRepo(ctx);
    this.runs = createRunRepo(ctx);
    this.dedup = createDedupLedger(ctx);
    this.inbox = createWebhookInbox(ctx);
    this.tokens = createTokenLedger(ctx);
    this.settings = createSettingsRepo(ctx);
    this.secrets = createSecretRepo(ctx);
    this.schedules = createScheduleRepo(ctx);
    this.adminSessions = createAdminSessionRepo(ctx);
    this.reaper = createReaperLog(ctx);
    this.audit = createAuditLog(ctx);
    this.retire = () => retireTerminalRuns(ctx);
  }

  private readonly retire: () => Promise<void>;

  get isOpen(): boolean {
    return this.open_;
  }

  /** Every record the store holds, for `npm run migrate-store` (not part of the Store contract). */
  exportRecords(): AsyncGenerator<StoreRecord> {
    this.ctx.assertOpen();
    return exportRecords(this.ctx, this.runs);
  }

  /** Writes every record of another store into this (empty) one, for `npm run migrate-store -- --to-lowdb`. */
  importRecords(records: AsyncIterable<StoreRecord>): Promise<RecordCounts> {
    this.ctx.assertOpen();
    return importRecords(this.ctx, this.runs, records);
  }

  /** Records per kind, counted by reading them all back, for checking an import. */
  async countRecords(): Promise<RecordCounts> {
    const counts = emptyCounts();
    for await (const record of this.exportRecords()) countInto(counts, record);
    return counts;
  }

  /** Commit counters, for tests and the benchmark (not part of the Store contract). */
  get commitStats(): Readonly<CommitStats> {
    return this.queue.stats;
  }

  async open(): Promise<void> {
    if (this.open_) return;
    const { hot, history, journal } = this.options;
    const loaded = await hot.open();
    try {
      this.doc = { ...emptyHotDoc(), ...(loaded ?? {}) };
      this.inboxState.load(await journal.open());
      await migrateLegacyInbox(this.doc, this.inboxState, hot, this.options.legacyPayloads);
      await migrateLegacyRunNames(this.doc, hot);
      await this.queue.reclaimJournal();
      await this.runCatalog.open();
      for (const log of this.logs) await log.open();
      await this.findHistoricCopies();
      this.open_ = true;
      // A terminal run left in the hot document (never expected, but cheap to
      // repair) finishes its move to history now.
      await this.retire();
    } catch (error) {
      this.open_ = false;
      await journal.close().catch(() => undefined);
      await this.runCatalog.close().catch(() => undefined);
      for (const log of this.logs) await log.close().catch(() => undefined);
      await history.close().catch(() => undefined);
      await hot.close().catch(() => undefined);
      throw error;
    }
  }

  /**
   * A live run with a history record too (a crash after the history append of
   * its finish, before the hot rewrite): the hot copy wins, and the record is
   * replaced when the run finishes again. Only live runs are looked up, so
   * this costs O(active runs), not O(history).
   */
  private async findHistoricCopies(): Promise<void> {
    this.historicCopies.clear();
    for (const id of Object.keys(this.doc.runs)) {
      const entry = await this.runCatalog.find(id);
      if (entry) this.historicCopies.set(id, entry);
    }
  }

  /** After a failed commit the reloaded document may hold runs whose finish did reach history. */
  private noteHistoricCopiesAfterReload(): void {
    for (const id of this.historicCopies.keys()) if (!this.doc.runs[id]) this.historicCopies.delete(id);
    for (const id of Object.keys(this.doc.runs)) {
      const entry = this.runCatalog.recent(id);
      if (entry) this.historicCopies.set(id, entry);
    }
  }

  async close(): Promise<void> {
    if (!this.open_) return;
    await this.queue.idle();
    this.open_ = false;
    await this.options.journal.close();
    await this.runCatalog.close();
    for (const log of this.logs) await log.close();
    await this.options.history.close();
    await this.options.hot.close();
  }
}
