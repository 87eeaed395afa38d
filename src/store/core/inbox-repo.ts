import { NotFoundError, ValidationError } from '../../errors/index.js';
import type { InboxDelivery } from '../../domain/inbox-delivery.js';
import type { WebhookInbox } from '../store.js';
import { clone, toIso, toMs } from './codec.js';
import { compact, type StoreContext } from './store-context.js';

const ERROR_MAX_CHARS = 2000;

function isDue(d: InboxDelivery, now: number): boolean {
  if (d.status === 'pending') return d.retryAt === undefined || Date.parse(d.retryAt) <= now;
  return d.status === 'leased' && d.leaseUntil !== undefined && Date.parse(d.leaseUntil) <= now;
}

export function createWebhookInbox(ctx: StoreContext): WebhookInbox {
  const settle = (id: string, change: (d: InboxDelivery) => InboxDelivery) =>
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
      return ctx.queue.submit((tx) => {
        if (tx.doc.inbox[delivery.id]) return { inserted: false };
        tx.doc.inbox[delivery.id] = {
          id: delivery.id,
          source: delivery.source,
          event: delivery.event,
          payload: clone(delivery.payload),
          receivedAt: delivery.receivedAt,
          status: 'pending',
          attempts: 0,
        };
        return { inserted: true };
      });
    },

    async leaseDeliveries(limit, leaseMs, now) {
      ctx.assertOpen();
      if (!(limit > 0) || !(leaseMs > 0)) throw new ValidationError('limit and leaseMs must be positive', 'limit');
      return ctx.queue.submit((tx) => {
        const at = now ?? ctx.clock();
        const due = Object.values(tx.doc.inbox)
          .filter((d) => isDue(d, at))
          .sort((a, b) => Date.parse(a.receivedAt) - Date.parse(b.receivedAt) || (a.id < b.id ? -1 : 1))
          .slice(0, limit);
        return due.map((d) => {
          const leased: InboxDelivery = compact({
            ...d,
            status: 'leased',
            attempts: d.attempts + 1,
            leaseUntil: toIso(at + leaseMs),
            retryAt: undefined,
          });
          tx.doc.inbox[d.id] = leased;
          return clone(leased);
        });
      });
    },

    async completeDelivery(id) {
      ctx.assertOpen();
      // The payload is dropped: afterwards only the id matters, to spot redeliveries.
      await settle(id, (d) =>
        d.status === 'completed'
          ? d
          : { ...d, status: 'completed', completedAt: toIso(ctx.clock()), payload: undefined, leaseUntil: undefined, retryAt: undefined },
      );
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
      return d ? clone(d) : undefined;
    },

    async purgeExpired() {
      ctx.assertOpen();
      return ctx.queue.submit((tx) => {
        const cutoff = ctx.clock() - ctx.inboxRetentionMs;
        let moved = 0;
        for (const d of Object.values(tx.doc.inbox)) {
          if (d.status !== 'completed' && d.status !== 'dead') continue;
          if (d.completedAt === undefined || Date.parse(d.completedAt) > cutoff) continue;
          tx.appendHistory('inbox', d);
          delete tx.doc.inbox[d.id];
          moved++;
        }
        return moved;
      });
    },
  };
}
