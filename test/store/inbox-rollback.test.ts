import { describe, expect, it } from 'vitest';
import type { JournalRecord, PayloadPointer } from '../../src/store/core/inbox-journal-port.js';
import { EngineStore } from '../../src/store/core/engine-store.js';
import { MemoryHistory, MemoryHot, MemoryInboxJournal } from '../../src/store/memory/memory-ports.js';
import { ManualClock, T0 } from './store-fixtures.js';

/** The memory journal, with a disk that can fail the next append. */
class FlakyJournal extends MemoryInboxJournal {
  failNext = false;
  override async append(records: readonly JournalRecord[]): Promise<(PayloadPointer | undefined)[]> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('EIO: disk went away');
    }
    return super.append(records);
  }
}

const delivery = (id: string, offsetMs: number) => ({ id, source: 'github' as const, event: 'push', payload: { id }, receivedAt: new Date(T0 + offsetMs).toISOString() });

describe('inbox after a failed commit', () => {
  it('leases and counts exactly as before the commit that failed', async () => {
    const clock = new ManualClock();
    const journal = new FlakyJournal();
    const store = new EngineStore({ hot: new MemoryHot(), history: new MemoryHistory(), journal, clock: clock.read });
    await store.open();
    await store.inbox.enqueueDelivery(delivery('a', 0));
    await store.inbox.enqueueDelivery(delivery('b', 1));
    expect((await store.inbox.leaseDeliveries(1, 10_000)).map((d) => d.id)).toEqual(['a']);

    journal.failNext = true;
    await expect(store.inbox.failDelivery('a', 'handler threw', T0 + 1)).rejects.toThrow('EIO');
    journal.failNext = true;
    await expect(store.inbox.enqueueDelivery(delivery('c', 2))).rejects.toThrow('EIO');
    journal.failNext = true;
    await expect(store.inbox.leaseDeliveries(5, 10_000)).rejects.toThrow('EIO');

    // a is still leased (its failure never became durable), c was never taken, b is still due.
    expect(await store.inbox.backlog()).toEqual({ pending: 1, leased: 1 });
    expect(await store.inbox.getDelivery('c')).toBeUndefined();
    expect((await store.inbox.leaseDeliveries(5, 10_000)).map((d) => d.id)).toEqual(['b']);
    clock.advance(10_000);
    expect((await store.inbox.leaseDeliveries(5, 10_000)).map((d) => [d.id, d.attempts])).toEqual([
      ['a', 2],
      ['b', 2],
    ]);
    await store.close();
  });
});
