import { NotFoundError, ValidationError } from '../../errors/index.js';
import type { DeliverySource, DeliveryStatus, InboxDelivery } from '../../domain/inbox-delivery.js';
import { toIso, toMs } from '../core/codec.js';
import type { WebhookInbox } from '../store.js';
import { abortWith } from './pg-db.js';
import { storableText, type PgContext } from './pg-context.js';

const ERROR_MAX_CHARS = 2000;

export interface InboxRow {
  id: string;
  source: DeliverySource;
  event: string;
  received_at: Date;
  status: DeliveryStatus;
  attempts: number;
  lease_until: Date | null;
  retry_at: Date | null;
  completed_at: Date | null;
  last_error: string | null;
  payload: Buffer | null;
}

/** A row as callers see it: unset fields left out, the payload parsed (each caller gets its own copy). */
function deliveryOf(row: InboxRow): InboxDelivery {
  const meta = deliveryMetaOf(row);
  return row.payload && row.status !== 'completed' ? { ...meta, payload: JSON.parse(row.payload.toString('utf8')) as unknown } : meta;
}

/** A row's metadata, without its payload. */
export function deliveryMetaOf(row: InboxRow): Omit<InboxDelivery, 'payload'> {
  return {
    id: row.id,
    source: row.source,
    event: row.event,
    receivedAt: row.received_at.toISOString(),
    status: row.status,
    attempts: row.attempts,
    ...(row.lease_until ? { leaseUntil: row.lease_until.toISOString() } : {}),
    ...(row.retry_at ? { retryAt: row.retry_at.toISOString() } : {}),
    ...(row.last_error !== null ? { lastError: row.last_error } : {}),
    ...(row.completed_at ? { completedAt: row.completed_at.toISOString() } : {}),
  };
}

/** Lease order: oldest received first, then by id. */
function byLeaseOrder(a: InboxRow, b: InboxRow): number {
  const d = a.received_at.getTime() - b.received_at.getTime();
  return d !== 0 ? d : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * The webhook inbox as one table. A lease takes due rows with
 * `FOR UPDATE SKIP LOCKED`, so workers on several replicas lease at once
 * without waiting on each other or getting the same delivery twice.
 */
export function createPgInbox(ctx: PgContext): WebhookInbox {
  const settle = async (id: string, sql: string, values: unknown[]) => {
    const changed = await ctx.db().query(sql, [id, ...values]);
    if (changed.rowCount === 0) throw new NotFoundError(`delivery ${id} not found`);
  };

  return {
    async enqueueDelivery(delivery) {
      const db = ctx.db();
      if (!delivery.id) throw new ValidationError('delivery id is required', 'id');
      const receivedAt = toIso(toMs(delivery.receivedAt, 'receivedAt'));
      const bytes = delivery.rawPayload ?? (delivery.payload === undefined ? null : Buffer.from(JSON.stringify(delivery.payload), 'utf8'));
      const { replayKey } = delivery;
      const replayUntil = replayKey ? toIso(toMs(replayKey.expiresAt, 'replayKey.expiresAt')) : undefined;
      return db.transaction(async (tx) => {
        const inserted = await tx.query(
          `INSERT INTO inbox (id, source, event, received_at, status, attempts, payload) VALUES ($1, $2, $3, $4, 'pending', 0, $5)
           ON CONFLICT (id) DO NOTHING`,
          [delivery.id, delivery.source, delivery.event, receivedAt, bytes],
        );
        if (inserted.rowCount === 0) return { inserted: false };
        if (replayKey && replayUntil) {
          // The key is remembered in the enqueue's transaction: of two copies racing in, the second waits and then finds it.
          const remembered = await tx.query(
            `INSERT INTO one_time_keys (key, expires_at) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE one_time_keys.expires_at <= $3`,
            [replayKey.key, replayUntil, toIso(ctx.clock())],
          );
          if (remembered.rowCount === 0) return abortWith({ inserted: false });
        }
        return { inserted: true };
      });
    },

    async leaseDeliveries(limit, leaseMs, now) {
      const db = ctx.db();
      if (!(limit > 0) || !(leaseMs > 0)) throw new ValidationError('limit and leaseMs must be positive', 'limit');
      const at = now ?? ctx.clock();
      const leased = await db.query<InboxRow>(
        `WITH due AS (
           SELECT id FROM inbox
           WHERE status IN ('pending', 'leased')
             AND ((status = 'pending' AND (retry_at IS NULL OR retry_at <= $1)) OR (status = 'leased' AND lease_until <= $1))
           ORDER BY received_at, id
           LIMIT $2
           FOR UPDATE SKIP LOCKED
         )
         UPDATE inbox SET status = 'leased', attempts = inbox.attempts + 1, lease_until = $3, retry_at = NULL
         FROM due WHERE inbox.id = due.id
         RETURNING inbox.*`,
        [toIso(at), Math.floor(limit), toIso(at + leaseMs)],
      );
      return leased.rows.sort(byLeaseOrder).map(deliveryOf);
    },

    async completeDelivery(id) {
      ctx.db();
      // The payload is dropped: afterwards only the id matters, to spot redeliveries.
      await settle(
        id,
        `UPDATE inbox SET completed_at = CASE WHEN status = 'completed' THEN completed_at ELSE $2 END,
           status = 'completed', lease_until = NULL, retry_at = NULL, payload = NULL
         WHERE id = $1`,
        [toIso(ctx.clock())],
      );
    },

    async failDelivery(id, error, retryAt) {
      ctx.db();
      const lastError = storableText(error.slice(0, ERROR_MAX_CHARS));
      if (retryAt === null) {
        await settle(id, `UPDATE inbox SET status = 'dead', last_error = $2, lease_until = NULL, retry_at = NULL, completed_at = $3 WHERE id = $1`, [
          lastError,
          toIso(ctx.clock()),
        ]);
        return;
      }
      const retry = toIso(toMs(retryAt, 'retryAt'));
      await settle(id, `UPDATE inbox SET status = 'pending', last_error = $2, lease_until = NULL, retry_at = $3 WHERE id = $1`, [lastError, retry]);
    },

    async getDelivery(id) {
      const found = await ctx.db().query<InboxRow>('SELECT * FROM inbox WHERE id = $1', [id]);
      return found.rows[0] ? deliveryOf(found.rows[0]) : undefined;
    },

    async backlog() {
      const found = await ctx.db().query<{ pending: string; leased: string }>(
        `SELECT count(*) FILTER (WHERE status = 'pending') AS pending, count(*) FILTER (WHERE status = 'leased') AS leased
         FROM inbox WHERE status IN ('pending', 'leased')`,
      );
      return { pending: Number(found.rows[0]?.pending ?? 0), leased: Number(found.rows[0]?.leased ?? 0) };
    },

    async purgeExpired() {
      const db = ctx.db();
      const cutoff = toIso(ctx.clock() - ctx.inboxRetentionMs);
      const purged = await db.query(`DELETE FROM inbox WHERE status IN ('completed', 'dead') AND completed_at <= $1`, [cutoff]);
      return purged.rowCount;
    },
  };
}
