import { describe, expect, it } from 'vitest';
import type { DeliveryMeta } from '../../src/store/core/inbox-journal-port.js';
import { DueIndex, leaseOrderKey } from '../../src/store/core/inbox-due-index.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const meta = (id: string, receivedMs: number, extra: Partial<DeliveryMeta> = {}): DeliveryMeta => ({ id, source: 'github', event: 'push', receivedAt: at(receivedMs), status: 'pending', attempts: 0, ...extra });

describe('DueIndex', () => {
  it('orders by receive time then id, whatever the order deliveries arrive or change in', () => {
    const index = new DueIndex();
    index.set('c', meta('c', 30));
    index.set('a', meta('a', 10));
    index.set('b2', meta('b2', 20));
    index.set('b1', meta('b1', 20));
    expect(index.due(10, T0)).toEqual(['a', 'b1', 'b2', 'c']);
    index.set('b1', meta('b1', 20, { status: 'leased', leaseUntil: at(1_000) }));
    index.set('a', meta('a', 10, { status: 'completed' }));
    expect(index.due(10, T0)).toEqual(['b2', 'c']);
    expect(index.due(10, T0 + 1_000)).toEqual(['b1', 'b2', 'c']);
    expect(index.counts()).toEqual({ pending: 2, leased: 1 });
    index.set('c', undefined);
    expect(index.due(1, T0 + 1_000)).toEqual(['b1']);
    expect(index.size).toBe(2);
  });

  it('makes a non-canonical receive time canonical, and keeps ids with spaces whole', () => {
    const index = new DueIndex();
    index.set('late one', { ...meta('late one', 0), receivedAt: '2026-01-01T00:00:05Z' });
    index.set('early', { ...meta('early', 0), receivedAt: 'Thu, 01 Jan 2026 00:00:01 GMT' });
    expect(index.due(10, T0)).toEqual(['early', 'late one']);
    expect(leaseOrderKey({ id: 'x', receivedAt: '2026-01-01T00:00:05Z' })).toBe('2026-01-01T00:00:05.000Z x');
  });

  it('takes the limit oldest due from a long backlog', () => {
    const index = new DueIndex();
    for (let i = 0; i < 10_000; i++) index.set(`d${i}`, meta(`d${i}`, i));
    // A retry received before all of them comes due in the middle of the backlog.
    index.set('retry', meta('retry', -5, { retryAt: at(500) }));
    expect(index.due(3, T0)).toEqual(['d0', 'd1', 'd2']);
    expect(index.due(3, T0 + 500)).toEqual(['retry', 'd0', 'd1']);
    for (let i = 0; i < 9_998; i++) index.set(`d${i}`, meta(`d${i}`, i, { status: 'completed' }));
    expect(index.due(10, T0)).toEqual(['d9998', 'd9999']);
    expect(index.counts()).toEqual({ pending: 3, leased: 0 });
  });
});
