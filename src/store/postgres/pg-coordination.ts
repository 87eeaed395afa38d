import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Coordination, FailureLedger } from '../coordination.js';
import { addHandler, deliver } from '../local-coordination.js';
import type { Clock } from '../store.js';
import { Db } from './pg-db.js';
import { createPool } from './pg-pool.js';
import { assertSchemaName } from './schema-name.js';

export interface PgCoordinationOptions {
  connectionString: string;
  /** The schema the store migrated (its `leases` and `login_failures` tables); default `public`. */
  schema?: string;
  clock?: Clock;
  /** Default: the host's name and a random suffix, so two processes on one host differ. */
  replicaId?: string;
  /** The LISTEN connection failed (it is re-made), or a subscriber threw. */
  onError?: (error: unknown) => void;
  /** First wait before re-making a lost LISTEN connection; doubles up to 30 s (default 500 ms). */
  reconnectMs?: number;
}

interface Envelope {
  /** Sending replica: its own subscribers heard it at once, so it skips the echo. */
  r: string;
  c: string;
  p: string;
}

const MAX_RECONNECT_MS = 30_000;

/**
 * Coordination of replicas over the store's PostgreSQL database. Leases are
 * rows (`leases`), taken with one upsert that only wins over an expired or
 * own row; expiry follows the injected clock, as everything in the store does,
 * so replicas need clocks that agree to well within a lease's TTL (NTP does).
 * Broadcasts go through NOTIFY on one channel per schema and arrive through
 * one dedicated LISTEN connection per replica, re-made when it drops (what
 * was sent meanwhile is lost: listeners keep a slow poll as a fallback).
 */
export class PgCoordination implements Coordination {
  readonly replicaId: string;
  readonly failures: FailureLedger;
  private db: Db | undefined;
  private listener: pg.Client | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectDelay: number;
  private closed = false;
  private readonly handlers = new Map<string, Set<(payload: string) => void>>();
  private readonly pgChannel: string;
  private readonly clock: Clock;
  private readonly onError: (error: unknown) => void;

  constructor(private readonly options: PgCoordinationOptions) {
    const schema = options.schema ?? 'public';
    assertSchemaName(schema);
    this.pgChannel = `ai_implement_${schema}`.slice(0, 63);
    this.replicaId = options.replicaId ?? `${process.env['FLY_MACHINE_ID'] ?? process.pid}-${randomUUID().slice(0, 8)}`;
    this.clock = options.clock ?? Date.now;
    this.onError = options.onError ?? (() => undefined);
    this.reconnectDelay = options.reconnectMs ?? 500;
    this.failures = {
      recent: async (key, since) => {
        const found = await this.sql().query<{ at: Date }>('SELECT at FROM login_failures WHERE key = $1 AND at > $2 ORDER BY at', [key, iso(since)]);
        return found.rows.map((r) => r.at.getTime());
      },
      record: async (key, at, keepUntil) => {
        // Expired rows go on every write, so the table holds one window's worth of failures.
        await this.sql().query('WITH purged AS (DELETE FROM login_failures WHERE expires_at <= $2) INSERT INTO login_failures (key, at, expires_at) VALUES ($1, $2, $3)', [
          key,
          iso(at),
          iso(keepUntil),
        ]);
      },
    };
  }

  async open(): Promise<void> {
    if (this.db) return;
    this.closed = false;
    this.db = new Db(createPool({ connectionString: this.options.connectionString, schema: this.options.schema ?? 'public', maxConnections: 2, onConnectionError: this.onError }));
    await this.listen();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
    const db = this.db;
    this.db = undefined;
    if (db) {
      await db.drain();
      await db.pool.end();
    }
    this.handlers.clear();
  }

  async acquireLease(name: string, ttlMs: number): Promise<boolean> {
    const now = this.clock();
    const taken = await this.sql().query(
      `INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
       WHERE leases.holder = excluded.holder OR leases.expires_at <= $4`,
      [name, this.replicaId, iso(now + ttlMs), iso(now)],
    );
    return taken.rowCount === 1;
  }

  async releaseLease(name: string): Promise<void> {
    await this.sql().query('DELETE FROM leases WHERE name = $1 AND holder = $2', [name, this.replicaId]);
  }

  async publish(channel: string, payload: string): Promise<void> {
    deliver(this.handlers.get(channel), payload, this.onError);
    const envelope: Envelope = { r: this.replicaId, c: channel, p: payload };
    await this.sql().query('SELECT pg_notify($1, $2)', [this.pgChannel, JSON.stringify(envelope)]);
  }

  subscribe(channel: string, handler: (payload: string) => void): () => void {
    return addHandler(this.handlers, channel, handler);
  }

  /** Whether the LISTEN connection is up (tests wait for it after cutting it). */
  get listening(): boolean {
    return this.listener !== undefined;
  }

  private sql(): Db {
    if (!this.db) throw new Error('coordination is not open');
    return this.db;
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.connectionString, connectionTimeoutMillis: 10_000, application_name: 'ai-implement-listen' });
    client.on('notification', (message) => this.receive(message.payload));
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, undefined));
    try {
      await client.connect();
      await client.query(`LISTEN "${this.pgChannel}"`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.listener = client;
    this.reconnectDelay = this.options.reconnectMs ?? 500;
  }

  private receive(text: string | undefined): void {
    if (!text) return;
    let envelope: Envelope;
    try {
      envelope = JSON.parse(text) as Envelope;
    } catch (error) {
      this.onError(error);
      return;
    }
    if (envelope.r === this.replicaId || typeof envelope.c !== 'string' || typeof envelope.p !== 'string') return;
    deliver(this.handlers.get(envelope.c), envelope.p, this.onError);
  }

  private lost(client: pg.Client, error: Error | undefined): void {
    if (this.listener !== client) return;
    this.listener = undefined;
    if (error) this.onError(error);
    void client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    const delay = this.reconnectDelay;
    this.reconnectDelay = Math.min(delay * 2, MAX_RECONNECT_MS);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.listen().catch((error: unknown) => {
        this.onError(error);
        this.scheduleReconnect();
      });
    }, delay);
    this.reconnectTimer.unref();
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function createPgCoordination(options: PgCoordinationOptions): PgCoordination {
  return new PgCoordination(options);
}
