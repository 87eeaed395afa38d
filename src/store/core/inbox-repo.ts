import { NotFoundError, ValidationError } from '../../errors/index.js';
import type { InboxDelivery } from '../../domain/inbox-delivery.js';
import type { WebhookInbox } from '../store.js';
import { clone, toIso, toMs } from './codec.js';
import type { StoredDelivery } from './hot-doc.js';
import { compact, type StoreContext } from './store-context.js';

const ERROR_MAX_CHARS = 2000;

function isDue(d: StoredDelivery, now: number): boolean {
  if (d.status === 'pending') return d.retryAt === undefined || Date.parse(d.retryAt) <= now;
  return d.status === 'leased' && d.leaseUntil !== undefined && Date.parse(d.leaseUntil) <= now;
}

const isSettled = (d: StoredDelivery) => d.status === 'completed' || d.status === 'dead';

/**
 * Deliveries keep only metadata and a payload pointer in the hot document;
 * payload text goes to the payload log in the same commit, so a commit costs
 * O(metadata) however large or numerous the pending payloads are. Reads parse
 * the text again, which also hands each caller its own copy.
 */
export function createWebhookInbox(ctx: StoreContext): WebhookInbox {
  const { payloads } = ctx;

  /** Turns stored metadata (a copy) into what callers see, reading the payload back. */
  async function hydrate(d: StoredDelivery): Promise<InboxDelivery> {
    const { payloadRef, payload: inline, ...meta } = d;
    if (inline !== undefined) return { ...meta, payload: clone(inline) };
    if (d.status === 'completed') return meta;
    const text = await payloads.read(d.id, payloadRef ?? ctx.doc().inbox[d.id]?.payloadRef);
    return text === undefined ? meta : { ...meta, payload: JSON.parse(text) as unknown };
  }

  const settle = (id: string, change: (d: StoredDelivery) => StoredDelivery) =>
    ctx.queue.submit((tx) => {
      const d = tx.doc.inbox[id];
      if (!d) throw new NotFoundError(`delivery ${id} not found`);
      tx.doc.inbox[id] = compact(change(d));
    });

  return {
    async enqueueDelivery(delivery) {
      ctx.assertOpen();
      if (!delivery.id) throw new ValidationError('delivery id is required', 'id');
      toMs(delivery.receivedAt, 'receivedAt');
      // Serialised here, outside the commit: the text is also the caller's copy.
      const text = delivery.payload === undefined ? undefined : JSON.stringify(delivery.payload);
      return ctx.queue.submit((tx) => {
        if (tx.doc.inbox[delivery.id]) return { inserted: false };
        const { id } = delivery;
        tx.doc.inbox[id] = { id, source: delivery.source, event: delivery.event, receivedAt: delivery.receivedAt, status: 'pending', attempts: 0 };
        if (text !== undefined) {
          payloads.stage(id, text);
          tx.appendPayload(text, (pointer) => {
            const current = tx.doc.inbox[id];
            // Completed within this very commit: nothing will ever read the bytes.
            if (!current || current.status === 'completed') return payloads.release(id, undefined);
            tx.doc.inbox[id] = { ...current, payloadRef: pointer };
            payloads.stored(id, pointer);
          });
        }
        return { inserted: true };
      });
    },

    async leaseDeliveries(limit, leaseMs, now) {
      ctx.assertOpen();
      if (!(limit > 0) || !(leaseMs > 0)) throw new ValidationError('limit and leaseMs must be positive', 'limit');
      const leased = await ctx.queue.submit((tx) => {
        const at = now ?? ctx.clock();
        // Each time is parsed once, not once per comparison.
        const due: { d: StoredDelivery; at: number }[] = [];
        for (const d of Object.values(tx.doc.inbox)) if (isDue(d, at)) due.push({ d, at: Date.parse(d.receivedAt) });
        due.sort((a, b) => a.at - b.at || (a.d.id < b.d.id ? -1 : 1));
        return due.slice(0, limit).map(({ d }) => {
          const next = compact({ ...d, status: 'leased' as const, attempts: d.attempts + 1, leaseUntil: toIso(at + leaseMs), retryAt: undefined });
          tx.doc.inbox[d.id] = next;
          return { ...next };
        });
      });
      return Promise.all(leased.map(hydrate));
    },

    async completeDelivery(id) {
      ctx.assertOpen();
      // The payload is dropped: afterwards only the id matters, to spot redeliveries.
      await settle(id, (d) => {
        if (d.status === 'completed') return d;
        payloads.release(id, d.payloadRef);
        return { ...d, status: 'completed', completedAt: toIso(ctx.clock()), payload: undefined, payloadRef: undefined, leaseUntil: undefined, retryAt: undefined };
      });
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
      const d = ctx.doc().inbox[id];
      return d ? hydrate({ ...d }) : undefined;
    },

    async purgeExpired() {
      ctx.assertOpen();
      const moved = await ctx.queue.submit((tx) => {
        const cutoff = ctx.clock() - ctx.inboxRetentionMs;
        let count = 0;
        for (const d of Object.values(tx.doc.inbox)) {
          if (!isSettled(d)) continue;
          if (d.completedAt === undefined || Date.parse(d.completedAt) > cutoff) continue;
          // History keeps the metadata; a dead delivery's payload goes with its file.
          const { payloadRef, payload: _inline, ...meta } = d;
          payloads.release(d.id, payloadRef);
          tx.appendHistory('inbox', meta);
          delete tx.doc.inbox[d.id];
          count++;
        }
        return count;
      });
      // Here, unlike after an ordinary commit, a failed reclaim is the caller's to see.
      await ctx.queue.reclaimPayloads();
      return moved;
    },
  };
}
