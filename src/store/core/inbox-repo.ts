import { NotFoundError, ValidationError } from '../../errors/index.js';
import type { InboxDelivery } from '../../domain/inbox-delivery.js';
import type { WebhookInbox } from '../store.js';
import { toIso, toMs } from './codec.js';
import type { DeliveryMeta, JournaledDelivery } from './inbox-journal-port.js';
import { compact, type StoreContext } from './store-context.js';

const ERROR_MAX_CHARS = 2000;

const isSettled = (d: DeliveryMeta) => d.status === 'completed' || d.status === 'dead';

/** Metadata without the pointer, as a fresh object. */
function metaOf(d: JournaledDelivery): DeliveryMeta {
  const { payloadRef: _ref, ...meta } = d;
  return meta;
}

/**
 * Deliveries live in the inbox journal, not the hot document: each change is
 * one small appended record (an enqueue also carries the payload bytes), so a
 * commit costs O(changes) however large the backlog. Payloads are kept as the
 * bytes received and parsed only when read, which also hands each caller its
 * own copy.
 */
export function createWebhookInbox(ctx: StoreContext): WebhookInbox {
  const { inbox } = ctx;

  /** Turns stored metadata (a copy) into what callers see, reading the payload back. */
  async function hydrate(d: JournaledDelivery): Promise<InboxDelivery> {
    const meta = metaOf(d);
    if (d.status === 'completed') return meta;
    const bytes = await inbox.readPayload(d.id, d.payloadRef);
    return bytes === undefined ? meta : { ...meta, payload: JSON.parse(bytes.toString('utf8')) as unknown };
  }

  const settle = (id: string, change: (d: DeliveryMeta) => DeliveryMeta) =>
    ctx.queue.submit((tx) => {
      const d = tx.inbox.get(id);
      if (!d) throw new NotFoundError(`delivery ${id} not found`);
      const meta = metaOf(d);
      const next = change(meta);
      if (next !== meta) tx.inbox.put(compact(next));
    });

  return {
    async enqueueDelivery(delivery) {
      ctx.assertOpen();
      if (!delivery.id) throw new ValidationError('delivery id is required', 'id');
      toMs(delivery.receivedAt, 'receivedAt');
      // The verified bytes as received when the route has them; otherwise serialised
      // here, outside the commit. Either way they are also the caller's copy.
      const bytes = delivery.rawPayload ?? (delivery.payload === undefined ? undefined : Buffer.from(JSON.stringify(delivery.payload), 'utf8'));
      const { id, source, event, receivedAt, replayKey } = delivery;
      const replayUntil = replayKey ? toMs(replayKey.expiresAt, 'replayKey.expiresAt') : undefined;
      return ctx.queue.submit((tx) => {
        if (tx.inbox.get(id)) return { inserted: false };
        if (replayKey && replayUntil !== undefined) {
          // Checked and remembered in the same commit as the enqueue, so two copies racing in cannot both get through.
          const remembered = tx.doc.tokens[replayKey.key];
          if (remembered !== undefined && remembered > ctx.clock()) return { inserted: false };
          tx.doc.tokens[replayKey.key] = replayUntil;
        }
        tx.inbox.put({ id, source, event, receivedAt, status: 'pending', attempts: 0 }, bytes);
        return { inserted: true };
      });
    },

    async leaseDeliveries(limit, leaseMs, now) {
      ctx.assertOpen();
      if (!(limit > 0) || !(leaseMs > 0)) throw new ValidationError('limit and leaseMs must be positive', 'limit');
      const leased = await ctx.queue.submit((tx) => {
        const at = now ?? ctx.clock();
        // From the inbox's lease-order index: the cost does not grow with the backlog.
        const due = tx.inbox.dueDeliveries(limit, at);
        const leaseUntil = toIso(at + leaseMs);
        return due.map((d) => {
          const next = compact({ ...metaOf(d), status: 'leased' as const, attempts: d.attempts + 1, leaseUntil, retryAt: undefined });
          tx.inbox.put(next);
          return next;
        });
      });
      // The pointers were assigned once the commit was durable: hydrate finds them by id.
      return Promise.all(leased.map(hydrate));
    },

    async completeDelivery(id) {
      ctx.assertOpen();
      // The payload is dropped: afterwards only the id matters, to spot redeliveries.
      await settle(id, (d) => (d.status === 'completed' ? d : { ...d, status: 'completed', completedAt: toIso(ctx.clock()), leaseUntil: undefined, retryAt: undefined }));
    },

    async failDelivery(id, error, retryAt) {
      ctx.assertOpen();
      const retryMs = retryAt === null ? null : toMs(retryAt, 'retryAt');
      await settle(id, (d) => ({
        ...d,
        lastError: error.slice(0, ERROR_MAX_CHARS),
        leaseUntil: undefined,
        ...(retryMs === null
          ? { status: 'dead' as const, retryAt: undefined, completedAt: toIso(ctx.clock()) }
          : { status: 'pending' as const, retryAt: toIso(retryMs) }),
      }));
    },

    async getDelivery(id) {
      ctx.assertOpen();
      const d = inbox.get(id);
      return d ? hydrate({ ...d }) : undefined;
    },

    async backlog() {
      ctx.assertOpen();
      return inbox.backlog();
    },

    async purgeExpired() {
      ctx.assertOpen();
      const moved = await ctx.queue.submit((tx) => {
        const cutoff = ctx.clock() - ctx.inboxRetentionMs;
        const expired: DeliveryMeta[] = [];
        for (const d of tx.inbox.all()) {
          if (!isSettled(d)) continue;
          if (d.completedAt === undefined || Date.parse(d.completedAt) > cutoff) continue;
          expired.push(metaOf(d));
        }
        // History keeps the metadata; a dead delivery's payload goes with its journal file.
        for (const meta of expired) {
          tx.appendHistory('inbox', meta);
          tx.inbox.drop(meta.id);
        }
        return expired.length;
      });
      // Here, unlike after an ordinary commit, a failed reclaim is the caller's to see.
      await ctx.queue.reclaimJournal();
      return moved;
    },
  };
}
