import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LocalCoordination } from '../../src/store/local-coordination.js';
import { createPgCoordination, type PgCoordination } from '../../src/store/postgres/pg-coordination.js';
import { createPostgresStore } from '../../src/store/postgres/create-postgres-store.js';
import { createTestDatabase } from './postgres-test-db.js';
import { SharedKeyedLock } from '../../src/orchestrator/shared-keyed-lock.js';

const T0 = Date.parse('2024-05-01T12:00:00Z');
let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
let now = T0;
const open: PgCoordination[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  // The store's open() applies the migrations that create the coordination tables.
  const store = createPostgresStore({ connectionString: database.url });
  await store.open();
  await store.close();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
  now = T0;
});
afterAll(async () => {
  await database?.drop();
});

async function replica(replicaId: string): Promise<PgCoordination> {
  const coordination = createPgCoordination({ connectionString: database!.url, clock: () => now, replicaId, reconnectMs: 50 });
  await coordination.open();
  open.push(coordination);
  return coordination;
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('PostgreSQL coordination: leases', () => {
  it('gives a lease to one replica, renews it for the holder, and hands it over only once it expired', async () => {
    const a = await replica('a');
    const b = await replica('b');
    expect(await a.acquireLease('leader', 1_000)).toBe(true);
    expect(await b.acquireLease('leader', 1_000)).toBe(false);
    now += 900;
    expect(await a.acquireLease('leader', 1_000)).toBe(true); // renewed: now held until T0 + 1900
    now += 900;
    expect(await b.acquireLease('leader', 1_000)).toBe(false);
    now += 100; // a stopped renewing: its lease ran out at T0 + 1900
    expect(await b.acquireLease('leader', 1_000)).toBe(true);
    expect(await a.acquireLease('leader', 1_000)).toBe(false);
  });

  it('lets another replica take a released lease at once, and keeps leases of different names apart', async () => {
    const a = await replica('a');
    const b = await replica('b');
    expect(await a.acquireLease('poller', 60_000)).toBe(true);
    expect(await b.acquireLease('reaper', 60_000)).toBe(true);
    await b.releaseLease('poller'); // not b's: nothing happens
    expect(await b.acquireLease('poller', 60_000)).toBe(false);
    await a.releaseLease('poller');
    expect(await b.acquireLease('poller', 60_000)).toBe(true);
  });
});

describe('PostgreSQL coordination: publish and subscribe', () => {
  it('delivers a message to the subscribers of every replica, each once', async () => {
    const a = await replica('a');
    const b = await replica('b');
    const heardA: string[] = [];
    const heardB: string[] = [];
    a.subscribe('run-changed', (p) => heardA.push(p));
    b.subscribe('run-changed', (p) => heardB.push(p));
    b.subscribe('other', (p) => heardB.push(`other:${p}`));
    await a.publish('run-changed', 'run-1');
    await waitFor(() => heardB.length > 0, 'b to hear run-1');
    // One more message through the same pipe: when it is heard, run-1 cannot still be on its way to a.
    await b.publish('run-changed', 'run-2');
    await waitFor(() => heardA.length > 1, 'a to hear run-2');
    expect(heardA).toEqual(['run-1', 'run-2']);
    expect(heardB).toEqual(['run-1', 'run-2']);
  });

  it('listens again after its LISTEN connection is cut', async () => {
    const a = await replica('a');
    const b = await replica('b');
    const heard: string[] = [];
    b.subscribe('run-changed', (p) => heard.push(p));
    const admin = new pg.Client({ connectionString: database!.url });
    await admin.connect();
    try {
      const cut = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'ai-implement-listen' AND datname = current_database()`);
      expect(cut.rowCount).toBe(2);
    } finally {
      await admin.end();
    }
    await waitFor(() => !b.listening, 'b to notice the cut');
    await waitFor(() => b.listening, 'b to listen again');
    await a.publish('run-changed', 'after-the-cut');
    await waitFor(() => heard.includes('after-the-cut'), 'b to hear a message sent after the cut');
  });
});

describe('PostgreSQL coordination: failure ledger', () => {
  it('counts failures recorded by any replica and forgets them after their time', async () => {
    const a = await replica('a');
    const b = await replica('b');
    await a.failures.record('198.51.100.7', T0, T0 + 60_000);
    await b.failures.record('198.51.100.7', T0 + 10, T0 + 60_010);
    await b.failures.record('203.0.113.9', T0 + 20, T0 + 60_020);
    expect(await a.failures.recent('198.51.100.7', T0 - 1)).toEqual([T0, T0 + 10]);
    expect(await b.failures.recent('198.51.100.7', T0)).toEqual([T0 + 10]);
    // A write after the first two expired purges them.
    await a.failures.record('203.0.113.9', T0 + 60_015, T0 + 120_015);
    expect(await b.failures.recent('198.51.100.7', 0)).toEqual([]);
    expect(await b.failures.recent('203.0.113.9', 0)).toEqual([T0 + 20, T0 + 60_015]);
  });
});

describe('in-process coordination', () => {
  it('always holds the lease and delivers to its own subscribers', async () => {
    const local = new LocalCoordination();
    expect(await local.acquireLease()).toBe(true);
    const heard: string[] = [];
    const unsubscribe = local.subscribe('run-changed', (p) => heard.push(p));
    await local.publish('run-changed', 'r1');
    unsubscribe();
    await local.publish('run-changed', 'r2');
    expect(heard).toEqual(['r1']);
    expect(local.failures).toBeUndefined();
  });
});

describe('PostgreSQL coordination: a lock shared by replicas', () => {
  it('serialises read-modify-writes of one setting made through two replicas at once', async () => {
    const store = createPostgresStore({ connectionString: database!.url });
    await store.open();
    try {
      const a = new SharedKeyedLock({ coordination: await replica('lock-a'), retryMs: 5 });
      const b = new SharedKeyedLock({ coordination: await replica('lock-b'), retryMs: 5 });
      // The coordination's clock is the test's fixed `now`; the lease (15 s) never runs out during the test.
      const bump = (lock: SharedKeyedLock) =>
        lock.with('counter', async () => {
          const value = (await store.settings.get<number>('counter')) ?? 0;
          await new Promise((resolve) => setTimeout(resolve, 2));
          await store.settings.set('counter', value + 1);
        });
      await Promise.all(Array.from({ length: 30 }, (_, i) => bump(i % 2 === 0 ? a : b)));
      expect(await store.settings.get<number>('counter')).toBe(30);
    } finally {
      await store.close();
    }
  });
});
