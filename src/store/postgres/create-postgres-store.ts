import { randomUUID } from 'node:crypto';
import { DEFAULT_INBOX_RETENTION_MS } from '../core/engine-store.js';
import { StoreNotOpenError, type AdminSessionRepo, type AuditLog, type Clock, type DedupLedger, type MappingRepo, type ReaperLog, type RunRepo, type ScheduleRepo, type SecretRepo, type SettingsRepo, type Store, type TokenLedger, type WebhookInbox } from '../store.js';
import { migrateSchema, type MigrationReport } from './migrate-schema.js';
import { assertSchemaName } from './schema-name.js';
import type { PgContext } from './pg-context.js';
import { Db } from './pg-db.js';
import { createPool, type PoolOptions } from './pg-pool.js';
import { createPgInbox } from './pg-inbox.js';
import { exportRecords } from './export-records.js';
import { countRows, importRecords } from './import-records.js';
import type { RecordCounts } from '../core/import-records.js';
import type { StoreRecord } from '../store-records.js';
import { createPgAuditLog, createPgReaperLog } from './pg-logs.js';
import { createPgRunRepo } from './pg-runs-repo.js';
import { createPgScheduleRepo } from './pg-schedules.js';
import { createPgAdminSessionRepo, createPgDedupLedger, createPgMappingRepo, createPgSecretRepo, createPgSettingsRepo, createPgTokenLedger } from './pg-small-repos.js';

/** `connectionString` is `DATABASE_URL`; `schema` (default `public`) is created at open when missing. */
export interface PostgresStoreOptions extends PoolOptions {
  clock?: Clock;
  newId?: () => string;
  /** How long completed deliveries stay recognisable as duplicates (≥ 8 days). */
  inboxRetentionMs?: number;
}

/**
 * The Store on PostgreSQL, for more than one replica: every guarantee the
 * embedded store gets from its single writer comes here from the database
 * (unique keys, row locks, `SKIP LOCKED`), so any number of processes may
 * share one database. Migrations run at `open()`.
 */
export class PostgresStore implements Store {
  private db_: Db | undefined;
  private opening: Promise<void> | undefined;
  private lastMigration: MigrationReport | undefined;
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

  constructor(private readonly options: PostgresStoreOptions) {
    assertSchemaName(options.schema ?? 'public');
    const ctx: PgContext = {
      db: () => {
        if (!this.db_) throw new StoreNotOpenError('store is not open');
        return this.db_;
      },
      clock: options.clock ?? Date.now,
      newId: options.newId ?? randomUUID,
      inboxRetentionMs: Math.max(options.inboxRetentionMs ?? DEFAULT_INBOX_RETENTION_MS, 0),
    };
    this.mappings = createPgMappingRepo(ctx);
    this.runs = createPgRunRepo(ctx);
    this.dedup = createPgDedupLedger(ctx);
    this.inbox = createPgInbox(ctx);
    this.tokens = createPgTokenLedger(ctx);
    this.settings = createPgSettingsRepo(ctx);
    this.secrets = createPgSecretRepo(ctx);
    this.schedules = createPgScheduleRepo(ctx);
    this.adminSessions = createPgAdminSessionRepo(ctx);
    this.reaper = createPgReaperLog(ctx);
    this.audit = createPgAuditLog(ctx);
  }

  get isOpen(): boolean {
    return this.db_ !== undefined;
  }

  /** What the last `open()` migrated (for the boot log and tests). */
  get migration(): MigrationReport | undefined {
    return this.lastMigration;
  }

  open(): Promise<void> {
    if (this.db_) return Promise.resolve();
    this.opening ??= this.connect().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async connect(): Promise<void> {
    const db = new Db(createPool(this.options));
    try {
      this.lastMigration = await migrateSchema(db, this.options.schema ?? 'public');
    } catch (error) {
      // The migration's error is the one to report; a pool that also fails to end adds nothing.
      await db.pool.end().catch(() => undefined);
      throw error;
    }
    this.db_ = db;
  }

  /** Writes every record of another store into this (empty) one, for `npm run migrate-store`. */
  importRecords(records: AsyncIterable<StoreRecord>): Promise<RecordCounts> {
    return importRecords(this.openDb(), records);
  }

  /** Every record of this store, for a move back to the embedded store (`npm run migrate-store -- --to-lowdb`). */
  exportRecords(): AsyncGenerator<StoreRecord> {
    return exportRecords(this.openDb());
  }

  /** Rows per table, for checking an import. */
  countRecords(): Promise<RecordCounts> {
    return countRows(this.openDb());
  }

  private openDb(): Db {
    if (!this.db_) throw new StoreNotOpenError('store is not open');
    return this.db_;
  }

  /** Stops taking calls, waits for the ones in flight, then closes the pool. */
  async close(): Promise<void> {
    const db = this.db_;
    if (!db) return;
    this.db_ = undefined;
    await db.drain();
    await db.pool.end();
  }
}

export function createPostgresStore(options: PostgresStoreOptions): PostgresStore {
  return new PostgresStore(options);
}
