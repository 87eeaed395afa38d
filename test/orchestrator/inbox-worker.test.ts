import { describe, expect, it } from 'vitest';
import type { InboxDelivery } from '../../src/domain/inbox-delivery.js';
import { InboxWorker } from '../../src/orchestrator/inbox-worker.js';
import { createMemoryStore } from '../../src/store/memory/create-memory-store.js';
import { createTestLogger } from '../support/test-logger.js';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const T0 = Date.parse('2026-02-01T00:00:00Z');

/** A memory store at T0 holding `count` Jira deliveries `<prefix>0…`, received a millisecond apart. */
async function inboxWith(prefix: string, count: number) {
  const store = createMemoryStore({ clock: () => T0 });
  await store.open();
  for (let i = 0; i < count; i++) {
    await store.inbox.enqueueDelivery({ id: `${prefix}${i}`, source: 'jira', event: 'jira:issue_updated', payload: {}, receivedAt: new Date(T0 + i).toISOString() });
  }
  return store;
}

/** A worker on `store` with a fixed clock at T0 and only a Jira handler. */
function jiraWorker(store: ReturnType<typeof createMemoryStore>, jira: (d: InboxDelivery) => Promise<void>, options: Partial<ConstructorParameters<typeof InboxWorker>[0]> = {}) {
  return new InboxWorker({ store, log: createTestLogger().log, clock: () => T0, idlePollMs: 5, handlers: { jira }, ...options });
}

describe('InboxWorker', () => {
  it('handles deliveries from the inbox and retries one whose handler threw until the fault clears', async () => {
    let now = Date.parse('2026-02-01T00:00:00Z');
    const store = createMemoryStore({ clock: () => now });
    await store.open();
    let faulty = true;
    const handled: string[] = [];
    const worker = new InboxWorker({
      store,
      log: createTestLogger().log,
      clock: () => now,
      idlePollMs: 5,
      retryDelayMs: () => 1_000,
      handlers: {
        linear: async (d: InboxDelivery) => {
          if (faulty && d.id === 'd2') throw new Error('tracker unavailable');
          handled.push(d.id);
        },
      },
    });
    for (const id of ['d1', 'd2']) {
      await store.inbox.enqueueDelivery({ id, source: 'linear', event: 'Issue.update', payload: { n: id }, receivedAt: new Date(now).toISOString() });
    }
    worker.start();
    // Waits for what the worker did rather than a fixed time: on a loaded machine 30 ms was not always enough.
    await until(async () => (await store.inbox.getDelivery('d2'))?.lastError === 'tracker unavailable' && handled.includes('d1'));
    expect(handled).toEqual(['d1']);
    expect(await store.inbox.getDelivery('d2')).toMatchObject({ status: 'pending', lastError: 'tracker unavailable' });
    faulty = false;
    now += 1_001;
    await until(() => handled.includes('d2'));
    await worker.stop();
    expect(handled).toEqual(['d1', 'd2']);
    expect((await store.inbox.getDelivery('d2'))?.status).toBe('completed');
  });

  it('leaves a delivery leased by a worker that died to be handled after the lease expires', async () => {
    let now = Date.parse('2026-02-01T00:00:00Z');
    const store = createMemoryStore({ clock: () => now });
    await store.open();
    await store.inbox.enqueueDelivery({ id: 'x', source: 'jira', event: 'jira:issue_updated', payload: {}, receivedAt: new Date(now).toISOString() });
    // A worker leased it and crashed before completing.
    expect(await store.inbox.leaseDeliveries(10, 60_000, now)).toHaveLength(1);
    const handled: string[] = [];
    const worker = new InboxWorker({ store, log: createTestLogger().log, clock: () => now, idlePollMs: 5, leaseMs: 60_000, handlers: { jira: async (d) => void handled.push(d.id) } });
    worker.start();
    await wait(20);
    expect(handled).toEqual([]);
    now += 60_001;
    await wait(30);
    await worker.stop();
    expect(handled).toEqual(['x']);
  });

  it('steps aside while the server is busy, and never for longer than maxDeferMs', async () => {
    const now = Date.parse('2026-02-01T00:00:00Z');
    const store = createMemoryStore({ clock: () => now });
    await store.open();
    let busy = true;
    const handled: number[] = [];
    const started = Date.now();
    const worker = new InboxWorker({ store, log: createTestLogger().log, clock: () => now, idlePollMs: 5, busy: () => busy, maxDeferMs: 150, handlers: { jira: async () => void handled.push(Date.now() - started) } });
    await store.inbox.enqueueDelivery({ id: 'a', source: 'jira', event: 'jira:issue_updated', payload: {}, receivedAt: new Date(now).toISOString() });
    worker.start();
    await wait(60);
    expect(handled).toEqual([]);
    // Still busy: the deferral ends at maxDeferMs so the work is not starved.
    await wait(150);
    expect(handled).toHaveLength(1);
    expect(handled[0]).toBeGreaterThanOrEqual(140);
    busy = false;
    await store.inbox.enqueueDelivery({ id: 'b', source: 'jira', event: 'jira:issue_updated', payload: {}, receivedAt: new Date(now).toISOString() });
    worker.notify();
    await wait(30);
    await worker.stop();
    expect(handled).toHaveLength(2);
  });

  it('under a load that never lets up, works a slice after each maximal wait instead of one batch', async () => {
    const store = await inboxWith('s', 30);
    const handled: number[] = [];
    const started = Date.now();
    const worker = jiraWorker(store, async () => void handled.push(Date.now() - started), { batchSize: 5, busy: () => true, maxDeferMs: 100, workSliceMs: 10_000 });
    worker.start();
    await wait(60);
    expect(handled).toEqual([]);
    await wait(200);
    await worker.stop();
    // One wait of maxDeferMs, then all six batches within the slice (not one batch per wait).
    expect(handled).toHaveLength(30);
    expect(Math.min(...handled)).toBeGreaterThanOrEqual(90);
    expect(Math.max(...handled) - Math.min(...handled)).toBeLessThan(80);
  });

  it('keeps handling the rest while one handler is stuck on a slow call', async () => {
    const store = await inboxWith('h', 10);
    let release: () => void = () => undefined;
    const stuck = new Promise<void>((resolve) => (release = resolve));
    const handled: string[] = [];
    const worker = jiraWorker(
      store,
      async (d) => {
        if (d.id === 'h0') await stuck;
        handled.push(d.id);
      },
      { batchSize: 4 },
    );
    worker.start();
    await expect.poll(() => handled.length).toBe(9);
    expect(handled).not.toContain('h0');
    expect((await store.inbox.getDelivery('h0'))?.status).toBe('leased');
    // The inbox is empty now and h0 still stuck: a delivery that arrives is handled at once, not after h0.
    await store.inbox.enqueueDelivery({ id: 'late', source: 'jira', event: 'jira:issue_updated', payload: {}, receivedAt: new Date(T0 + 100).toISOString() });
    worker.notify();
    await expect.poll(() => handled, { timeout: 500 }).toContain('late');
    expect(handled).not.toContain('h0');
    release();
    await expect.poll(() => handled.length).toBe(11);
    await worker.stop();
    expect((await store.inbox.backlog())).toEqual({ pending: 0, leased: 0 });
  });
});

/** Polls a condition every 5 ms, for at most 5 s. */
async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = performance.now() + 5_000;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error('condition not reached within 5 s');
    await new Promise((r) => setTimeout(r, 5));
  }
}
