import { appendFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { NewDelivery } from '../../src/domain/inbox-delivery.js';
import { createLowdbStore } from '../../src/store/lowdb/create-lowdb-store.js';
import { ManualClock, T0 } from './store-fixtures.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'store-payloads-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const DAY = 24 * 3600_000;

function delivery(id: string, bytes = 20 * 1024): NewDelivery {
  return { id, source: 'github', event: 'issue_comment', payload: { id, body: id.padEnd(bytes, '.') }, receivedAt: new Date(T0).toISOString() };
}

async function payloadFiles(dataDir: string): Promise<string[]> {
  return (await readdir(path.join(dataDir, 'payloads'))).sort();
}

async function payloadBytes(dataDir: string): Promise<number> {
  const files = await payloadFiles(dataDir);
  const sizes = await Promise.all(files.map(async (f) => (await stat(path.join(dataDir, 'payloads', f))).size));
  return sizes.reduce((a, b) => a + b, 0);
}

describe('lowdb inbox payload log', () => {
  it('keeps a commit small with 2,000 pending 20 KB deliveries', { timeout: 60_000 }, async () => {
    const dataDir = await tempDir();
    const store = createLowdbStore({ dataDir, clock: () => T0 });
    await store.open();
    for (let start = 0; start < 2000; start += 250) {
      await Promise.all(Array.from({ length: 250 }, (_, i) => store.inbox.enqueueDelivery(delivery(`p${start + i}`))));
    }
    const hotFile = path.join(dataDir, 'store.json');
    const hotBefore = (await stat(hotFile)).size;
    const logBefore = await payloadBytes(dataDir);
    const charsBefore = store.commitStats.payloadChars;
    expect(logBefore).toBeGreaterThan(2000 * 20 * 1024);

    await store.inbox.enqueueDelivery(delivery('one-more'));

    const hotAfter = (await stat(hotFile)).size;
    // 40 MB of payloads are pending, yet the hot document holds ~200 bytes per delivery.
    expect(hotAfter).toBeLessThan(2001 * 300);
    expect(hotAfter - hotBefore).toBeLessThan(400);
    // The commit appended exactly the one new payload, and rewrote none of the others.
    expect(store.commitStats.payloadChars - charsBefore).toBe(JSON.stringify(delivery('one-more').payload).length);
    expect((await payloadBytes(dataDir)) - logBefore).toBe(JSON.stringify(delivery('one-more').payload).length + 1);
    const hot = JSON.parse(await readFile(hotFile, 'utf8')) as { inbox: Record<string, Record<string, unknown>> };
    expect(hot.inbox['p7']).not.toHaveProperty('payload');
    expect(hot.inbox['p7']?.['payloadRef']).toBeDefined();

    // Payloads come back by pointer, past the cache, and after a reopen.
    const leased = await store.inbox.leaseDeliveries(3, 60_000);
    expect(leased.map((d) => (d.payload as { id: string }).id)).toEqual(leased.map((d) => d.id));
    await store.close();
    const again = createLowdbStore({ dataDir, clock: () => T0 });
    await again.open();
    expect(((await again.inbox.getDelivery('p1999'))?.payload as { body: string }).body).toBe(delivery('p1999').payload && (delivery('p1999').payload as { body: string }).body);
    await again.close();
  });

  it('deletes payload files once completion and the retention purge leave nothing pointing into them', async () => {
    const dataDir = await tempDir();
    const clock = new ManualClock();
    const store = createLowdbStore({ dataDir, clock: clock.read, payloadFileBytes: 50 * 1024 });
    await store.open();
    // Two 20 KB payloads per commit; a file takes a second commit (40 KB < 50 KB), then rotates.
    for (let i = 0; i < 12; i += 2) await Promise.all([store.inbox.enqueueDelivery(delivery(`r${i}`)), store.inbox.enqueueDelivery(delivery(`r${i + 1}`))]);
    expect(await payloadFiles(dataDir)).toEqual(['000001.log', '000002.log', '000003.log']);
    await store.inbox.enqueueDelivery(delivery('r12'));
    expect(await payloadFiles(dataDir)).toHaveLength(4);

    const leased = await store.inbox.leaseDeliveries(20, 60_000);
    expect(leased).toHaveLength(13);
    // r0 gives up (dead: its payload is kept for the retention period); the rest complete.
    await store.inbox.failDelivery('r0', 'broken', null);
    for (const d of leased.slice(1)) await store.inbox.completeDelivery(d.id);
    expect(await payloadFiles(dataDir)).toEqual(['000001.log', '000004.log']);
    expect(((await store.inbox.getDelivery('r0'))?.payload as { id: string }).id).toBe('r0');

    clock.advance(8 * DAY + 1);
    expect(await store.inbox.purgeExpired()).toBe(13);
    expect(await payloadFiles(dataDir)).toEqual(['000004.log']);
    expect(store.commitStats.payloadFilesReclaimed).toBe(3);
    await store.close();

    // Reopen: new payloads continue in the remaining file, old pointers are gone.
    const reopened = createLowdbStore({ dataDir, clock: clock.read, payloadFileBytes: 50 * 1024 });
    await reopened.open();
    await reopened.inbox.enqueueDelivery(delivery('after'));
    expect(((await reopened.inbox.getDelivery('after'))?.payload as { id: string }).id).toBe('after');
    expect(await reopened.inbox.getDelivery('r0')).toBeUndefined();
    await reopened.close();
  });

  it('tolerates a torn trailing payload record and orphaned payloads left by a crash', async () => {
    const dataDir = await tempDir();
    const first = createLowdbStore({ dataDir, clock: () => T0 });
    await first.open();
    await first.inbox.enqueueDelivery(delivery('kept', 3000));
    await first.close();
    const log = path.join(dataDir, 'payloads', '000001.log');
    // A whole record whose commit never reached the hot document, then one cut off mid-write.
    await appendFile(log, `${JSON.stringify({ id: 'orphan' })}\n{"id":"torn","body":"...`);

    const second = createLowdbStore({ dataDir, clock: () => T0 });
    await second.open();
    expect(await second.inbox.getDelivery('torn')).toBeUndefined();
    expect(await second.inbox.enqueueDelivery(delivery('torn', 3000))).toEqual({ inserted: true });
    await second.inbox.enqueueDelivery(delivery('next', 3000));
    await second.close();

    const third = createLowdbStore({ dataDir, clock: () => T0 });
    await third.open();
    const ids = (await third.inbox.leaseDeliveries(10, 60_000)).map((d) => [d.id, (d.payload as { id: string }).id]);
    expect(ids).toEqual([
      ['kept', 'kept'],
      ['next', 'next'],
      ['torn', 'torn'],
    ]);
    await third.close();
  });

  it('still serves payloads kept inline by a hot document from before the payload log', async () => {
    const dataDir = await tempDir();
    const legacy = { id: 'old', source: 'github', event: 'push', payload: { ref: 'main' }, receivedAt: new Date(T0).toISOString(), status: 'pending', attempts: 0 };
    await writeFile(path.join(dataDir, 'store.json'), JSON.stringify({ version: 1, inbox: { old: legacy } }));
    const store = createLowdbStore({ dataDir, clock: () => T0 });
    await store.open();
    const [leased] = await store.inbox.leaseDeliveries(1, 60_000);
    expect(leased?.payload).toEqual({ ref: 'main' });
    await store.inbox.completeDelivery('old');
    expect((await store.inbox.getDelivery('old'))?.payload).toBeUndefined();
    await store.close();
    const hot = JSON.parse(await readFile(path.join(dataDir, 'store.json'), 'utf8')) as { inbox: Record<string, object> };
    expect(hot.inbox['old']).not.toHaveProperty('payload');
  });
});
