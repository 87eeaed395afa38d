import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewDelivery } from '../../src/domain/inbox-delivery.js';
import type { Store } from '../../src/store/store.js';
import { ManualClock, T0, type StoreFactory } from './store-fixtures.js';

/**
 * `NewDelivery.replayKey`: a second delivery carrying a remembered key is a
 * duplicate whatever its id, and records nothing. Run against every store,
 * next to `describeStoreContract`.
 */
export function describeInboxReplayContract(name: string, makeStore: StoreFactory): void {
  describe(`Store contract: ${name}: inbox replay keys`, () => {
    let clock: ManualClock;
    let store: Store;
    beforeEach(async () => {
      clock = new ManualClock();
      store = await makeStore(clock.read);
      await store.open();
    });
    afterEach(() => store.close());

    const delivery = (id: string, key: string, ttlMs = 60_000): NewDelivery => ({
      id,
      source: 'linear',
      event: 'Issue.update',
      payload: { id },
      receivedAt: new Date(T0).toISOString(),
      replayKey: { key, expiresAt: new Date(clock.read() + ttlMs).toISOString() },
    });

    it('refuses a new id with a remembered key until the key expires, also after a reopen', async () => {
      expect(await store.inbox.enqueueDelivery(delivery('a', 'body-1'))).toEqual({ inserted: true });
      expect(await store.inbox.enqueueDelivery(delivery('b', 'body-1'))).toEqual({ inserted: false });
      expect(await store.inbox.getDelivery('b')).toBeUndefined();
      expect(await store.inbox.enqueueDelivery(delivery('c', 'body-2'))).toEqual({ inserted: true });
      await store.close();
      await store.open();
      expect(await store.inbox.enqueueDelivery(delivery('d', 'body-1'))).toEqual({ inserted: false });
      clock.advance(60_001);
      expect(await store.inbox.enqueueDelivery(delivery('e', 'body-1'))).toEqual({ inserted: true });
    });

    it('lets exactly one of many concurrent copies in', async () => {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.inbox.enqueueDelivery(delivery(`copy-${i}`, 'same-body'))));
      expect(results.filter((r) => r.inserted)).toHaveLength(1);
      expect(await store.inbox.backlog()).toEqual({ pending: 1, leased: 0 });
    });
  });
}
