import { randomUUID } from 'node:crypto';
import type { AuditLog, AdminSessionRepo, Clock, DedupLedger, MappingRepo, ReaperLog, RunRepo, SettingsRepo, Store, TokenLedger, WebhookInbox } from '../store.js';
import { StoreNotOpenError } from '../store.js';
import { AppendLogIndex } from './append-log-index.js';
import { CommitQueue, type CommitStats } from './commit-queue.js';
import { emptyHotDoc, type HistoryPort, type HotDoc, type HotPort, type RunHistoryRecord } from './hot-doc.js';
import type { InboxJournalPort } from './inbox-journal-port.js';
import { createWebhookInbox } from './inbox-repo.js';
import { InboxState } from './inbox-state.js';
import { migrateLegacyInbox, type LegacyPayloads } from './migrate-legacy-inbox.js';
import { createAuditLog, createReaperLog } from './log-repos.js';
import { RunHistoryIndex, toIndexEntry } from './run-index.js';
import { createRunRepo, retireTerminalRuns } from './runs-repo.js';
import { createAdminSessionRepo, createDedupLedger, createMappingRepo, createSettingsRepo, createTokenLedger } from './small-repos.js';
import type { StoreContext } from './store-context.js';

export const DEFAULT_INBOX_RETENTION_MS = 8 * 24 * 3600_000;

export interface EngineStoreOptions {
  hot: HotPort;
  history: HistoryPort;
  /** Where the inbox lives, outside the hot document. */
  journal: InboxJournalPort;
  /** Payloads of a data directory from before the inbox journal, moved into it at open. */
  legacyPayloads?: LegacyPayloads;
  clock?: Clock;
  newId?: () => string;
  /** How long completed deliveries stay recognisable as duplicates (≥ 8 days). */
  inboxRetentionMs?: number;
}

function isRunRecord(value: unknown): value is RunHistoryRecord {
  const run = (value as RunHistoryRecord | null)?.run;
  return typeof run?.id === 'string' && typeof run.createdAt === 'string';
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
  private runIndex = new RunHistoryIndex();
  private auditIndex = new AppendLogIndex();
  private reaperIndex = new AppendLogIndex();
  private readonly queue: CommitQueue;
  private readonly inboxState: InboxState;
  readonly mappings: MappingRepo;
  readonly runs: RunRepo;
  readonly dedup: DedupLedger;
  readonly inbox: WebhookInbox;
  readonly tokens: TokenLedger;
  readonly settings: SettingsRepo;
  readonly adminSessions: AdminSessionRepo;
  readonly reaper: ReaperLog;
  readonly audit: AuditLog;

  constructor(private readonly options: EngineStoreOptions) {
    this.inboxState = new InboxState(options.journal);
    this.queue = new CommitQueue(() => this.doc, options.hot, options.history, this.inboxState, async () => {
      this.doc = { ...emptyHotDoc(), ...((await options.hot.reload()) ?? {}) };
    });
    const ctx: StoreContext = {
      doc: () => this.doc,
      queue: this.queue,
      history: options.history,
      inbox: this.inboxState,
      runIndex: () => this.runIndex,
      auditIndex: () => this.auditIndex,
      reaperIndex: () => this.reaperIndex,
      clock: options.clock ?? Date.now,
      newId: options.newId ?? randomUUID,
      inboxRetentionMs: Math.max(options.inboxRetentionMs ?? DEFAULT_INBOX_RETENTION_MS, 0),
      assertOpen: () => {
        if (!this.open_) throw new StoreNotOpenError('store is not open');
      },
    };
    this.mappings = createMappingRepo(ctx);
    this.runs = createRunRepo(ctx);
    this.dedup = createDedupLedger(ctx);
    this.inbox = createWebhookInbox(ctx);
    this.tokens = createTokenLedger(ctx);
    this.settings = createSettingsRepo(ctx);
    this.adminSessions = createAdminSessionRepo(ctx);
    this.reaper = createReaperLog(ctx);
    this.audit = createAuditLog(ctx);
    this.retire = () => retireTerminalRuns(ctx);
  }

  private readonly retire: () => Promise<void>;

  get isOpen(): boolean {
    return this.open_;
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
      await this.queue.reclaimJournal();
      this.runIndex = new RunHistoryIndex();
      this.auditIndex = new AppendLogIndex();
      this.reaperIndex = new AppendLogIndex();
      await history.scan('runs', (record, pointer) => {
        if (isRunRecord(record)) this.runIndex.add(toIndexEntry(record.run, pointer));
      });
      for (const [stream, index] of [
        ['audit', this.auditIndex],
        ['reaper', this.reaperIndex],
      ] as const) {
        await history.scan(stream, (record, pointer) => {
          const r = record as Record<string, unknown>;
          const atMs = Date.parse(String(r['at']));
          const keys: Record<string, string> =
            stream === 'audit'
              ? { actor: String(r['actor']), action: String(r['action']) }
              : { rule: String(r['rule']), mode: String(r['mode']) };
          index.push({ atMs, keys, pointer });
        });
      }
      this.open_ = true;
      // A terminal run left in the hot document (never expected, but cheap to
      // repair) finishes its move to history now.
      await this.retire();
    } catch (error) {
      this.open_ = false;
      await journal.close().catch(() => undefined);
      await history.close().catch(() => undefined);
      await hot.close().catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    if (!this.open_) return;
    await this.queue.idle();
    this.open_ = false;
    await this.options.journal.close();
    await this.options.history.close();
    await this.options.hot.close();
  }
}
