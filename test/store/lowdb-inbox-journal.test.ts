import { execFile, execFileSync } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { NewDelivery } from '../../src/domain/inbox-delivery.js';
import { createLowdbStore, type LowdbStoreOptions } from '../../src/store/lowdb/create-lowdb-store.js';
import { ManualClock, intent, T0 } from './store-fixtures.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'store-journal-'));
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

const inboxFiles = async (dataDir: string) => (await readdir(path.join(dataDir, 'inbox'))).sort();
const journals = async (dataDir: string) => (await inboxFiles(dataDir)).filter((f) => f.endsWith('.journal'));
const hotStat = async (dataDir: string) => {
  const s = await stat(path.join(dataDir, 'store.json'), { bigint: true });
  return { size: s.size, mtimeNs: s.mtimeNs, ino: s.ino };
};

async function reopen(dataDir: string, options: Partial<LowdbStoreOptions> = {}) {
  const store = createLowdbStore({ dataDir, clock: () => T0, ...options });
  await store.open();
  return store;
}

describe('lowdb inbox journal', () => {
  it('appends inbox-only commits without rewriting store.json, whatever the backlog', { timeout: 60_000 }, async () => {
    const dataDir = await tempDir();
    const store = await reopen(dataDir);
    await store.mappings.upsert({ teamKey: 'ENG' } as never);
    for (let start = 0; start < 2000; start += 250) {
      await Promise.all(Array.from({ length: 250 }, (_, i) => store.inbox.enqueueDelivery(delivery(`p${start + i}`))));
    }
    const before = await hotStat(dataDir);
    const writesBefore = store.commitStats.hotWrites;
    const journalBefore = (await stat(path.join(dataDir, 'inbox', '000001.journal'))).size;

    await store.inbox.enqueueDelivery(delivery('one-more'));
    const [leased] = await store.inbox.leaseDeliveries(1, 60_000);
    await store.inbox.failDelivery(leased!.id, 'later', T0 + 1000);
    await store.inbox.completeDelivery('p1');
    await store.inbox.purgeExpired();

    // 40 MB of payloads are pending, yet none of these commits touched the hot document…
    expect(await hotStat(dataDir)).toEqual(before);
    expect(store.commitStats.hotWrites).toBe(writesBefore);
    // …and the enqueue appended its payload once, plus a few hundred bytes per record.
    const grown = (await stat(path.join(dataDir, 'inbox', '000001.journal'))).size - journalBefore;
    const payloadBytes = Buffer.byteLength(JSON.stringify(delivery('one-more').payload));
    expect(grown).toBeGreaterThan(payloadBytes);
    expect(grown).toBeLessThan(payloadBytes + 4 * 400);
    expect(JSON.parse(await readFile(path.join(dataDir, 'store.json'), 'utf8'))).not.toHaveProperty('inbox');

    // A batch that also changes other state still writes the hot document, after the journal.
    await Promise.all([store.inbox.enqueueDelivery(delivery('mixed')), store.runs.claimTicket(intent())]);
    expect(store.commitStats.hotWrites).toBe(writesBefore + 1);
    expect((await hotStat(dataDir)).size).toBeGreaterThan(before.size);
    await store.close();
  });

  it('replays deliveries, leases, failures and completions after a reopen', async () => {
    const dataDir = await tempDir();
    const clock = new ManualClock();
    const first = await reopen(dataDir, { clock: clock.read });
    await Promise.all(['a', 'b', 'c', 'd'].map((id) => first.inbox.enqueueDelivery(delivery(id, 100_000))));
    const raw = Buffer.from('{"exact":  "bytes as received" }');
    await first.inbox.enqueueDelivery({ id: 'raw', source: 'github', event: 'push', payload: { exact: 'bytes as received' }, rawPayload: raw, receivedAt: new Date(T0 + 1).toISOString() });
    expect((await first.inbox.leaseDeliveries(3, 60_000)).map((d) => d.id)).toEqual(['a', 'b', 'c']);
    await first.inbox.completeDelivery('a');
    await first.inbox.failDelivery('b', 'flaky', T0 + 5_000);
    await first.inbox.failDelivery('c', 'broken', null);
    await first.close();
    // The route's bytes were stored as they came, not serialised again.
    expect((await readFile(path.join(dataDir, 'inbox', '000001.journal'))).includes(raw)).toBe(true);

    const second = await reopen(dataDir, { clock: clock.read });
    const seen = async (id: string) => second.inbox.getDelivery(id);
    expect(await seen('a')).toMatchObject({ status: 'completed', attempts: 1 });
    expect((await seen('a'))?.payload).toBeUndefined();
    expect(await seen('b')).toMatchObject({ status: 'pending', attempts: 1, lastError: 'flaky', retryAt: new Date(T0 + 5_000).toISOString() });
    expect(await seen('c')).toMatchObject({ status: 'dead', lastError: 'broken' });
    // Payloads (100 KB: never cached) come back by pointer after the reopen.
    expect(((await seen('c'))?.payload as { id: string }).id).toBe('c');
    expect(await seen('d')).toMatchObject({ status: 'pending', attempts: 0 });
    expect((await seen('raw'))?.payload).toEqual({ exact: 'bytes as received' });
    expect((await second.inbox.enqueueDelivery(delivery('a'))).inserted).toBe(false);
    // b's retry is not due yet, and the lease survives: only d and raw are due.
    expect((await second.inbox.leaseDeliveries(10, 60_000)).map((d) => d.id)).toEqual(['d', 'raw']);
    clock.advance(5_000);
    const [b] = await second.inbox.leaseDeliveries(10, 60_000);
    expect(b).toMatchObject({ id: 'b', attempts: 2 });
    expect((b?.payload as { id: string }).id).toBe('b');
    await second.close();
  });

  it('ignores a torn trailing record, which was never acknowledged, and appends after the last whole one', async () => {
    const dataDir = await tempDir();
    const first = await reopen(dataDir);
    await first.inbox.enqueueDelivery(delivery('kept', 3000));
    await first.inbox.enqueueDelivery(delivery('second', 3000));
    await first.close();
    const journal = path.join(dataDir, 'inbox', '000001.journal');
    const whole = await readFile(journal);
    // The enqueue of `torn` cut off mid-payload, then the zeros a crash can leave.
    const lastRecord = whole.subarray(whole.lastIndexOf('\n', whole.lastIndexOf('"second"')) + 1);
    const torn = Buffer.from(lastRecord.toString('latin1').replaceAll('second', 'torn!!'), 'latin1');
    await appendFile(journal, Buffer.concat([torn.subarray(0, torn.length - 40), Buffer.alloc(64)]));

    const second = await reopen(dataDir);
    expect(await second.inbox.getDelivery('torn!!')).toBeUndefined();
    expect((await stat(journal)).size).toBe(whole.length);
    expect(await second.inbox.enqueueDelivery(delivery('torn!!', 3000))).toEqual({ inserted: true });
    await second.close();

    const third = await reopen(dataDir);
    const leased = await third.inbox.leaseDeliveries(10, 60_000);
    expect(leased.map((d) => [d.id, (d.payload as { id: string }).id])).toEqual([
      ['kept', 'kept'],
      ['second', 'second'],
      ['torn!!', 'torn!!'],
    ]);
    await third.close();
  });

  it('rejects a record whose bytes do not match its checksum', async () => {
    const dataDir = await tempDir();
    const first = await reopen(dataDir);
    await first.inbox.enqueueDelivery(delivery('good', 500));
    await first.inbox.enqueueDelivery(delivery('flipped', 500));
    await first.close();
    const journal = path.join(dataDir, 'inbox', '000001.journal');
    const bytes = await readFile(journal);
    const at = bytes.lastIndexOf('flipped..');
    bytes[at + 7] = 'x'.charCodeAt(0);
    await writeFile(journal, bytes);
    const second = await reopen(dataDir);
    expect(await second.inbox.getDelivery('good')).toBeDefined();
    expect(await second.inbox.getDelivery('flipped')).toBeUndefined();
    await second.close();
  });

  it('checkpoints: a snapshot keeps everything live, old journals go once nothing points into them', { timeout: 30_000 }, async () => {
    const dataDir = await tempDir();
    const clock = new ManualClock();
    const options = { clock: clock.read, journalFileBytes: 50 * 1024 };
    const store = await reopen(dataDir, options);
    // Two 20 KB payloads per commit; the file passes 50 KB on the second commit and is checkpointed.
    for (let i = 0; i < 12; i += 2) await Promise.all([store.inbox.enqueueDelivery(delivery(`r${i}`)), store.inbox.enqueueDelivery(delivery(`r${i + 1}`))]);
    // (A checkpoint cuts the journal after the commit that filled the file; its snapshot is written in the background.)
    const leased = await store.inbox.leaseDeliveries(20, 60_000);
    expect(leased).toHaveLength(12);
    await vi.waitFor(() => expect(store.commitStats.checkpoints).toBe(3));
    // Every journal is still referenced by a pending payload; only the newest snapshot is kept.
    expect(await inboxFiles(dataDir)).toEqual(['000001.journal', '000002.journal', '000003.journal', '000004.journal', '000004.snapshot.json']);
    await store.inbox.failDelivery('r0', 'broken', null); // dead: its payload stays for the retention
    for (const d of leased.slice(1)) await store.inbox.completeDelivery(d.id);
    await store.close();
    // Journals 2 and 3 are covered by the snapshot and hold nothing live any more.
    expect(await journals(dataDir)).toEqual(['000001.journal', '000004.journal']);

    // Replay = snapshot + journal 4; the dead delivery's payload is read from journal 1.
    const again = await reopen(dataDir, options);
    expect(await again.inbox.getDelivery('r5')).toMatchObject({ status: 'completed', attempts: 1 });
    expect(((await again.inbox.getDelivery('r0'))?.payload as { id: string }).id).toBe('r0');
    expect((await again.inbox.enqueueDelivery(delivery('r11'))).inserted).toBe(false);
    clock.advance(8 * DAY + 1);
    expect(await again.inbox.purgeExpired()).toBe(12);
    expect(await journals(dataDir)).toEqual(['000004.journal']);
    await again.inbox.enqueueDelivery(delivery('after'));
    await again.close();

    const last = await reopen(dataDir, options);
    expect(await last.inbox.getDelivery('r0')).toBeUndefined();
    expect(((await last.inbox.getDelivery('after'))?.payload as { id: string }).id).toBe('after');
    await last.close();
  });

  it('goes on acknowledging while a checkpoint snapshot is being written; a snapshot that fails is retried and loses nothing', { timeout: 30_000 }, async () => {
    const dataDir = await tempDir();
    const options = { journalFileBytes: 50 * 1024 };
    const store = await reopen(dataDir, options);
    // A FIFO where the snapshot's temp file goes: writing the snapshot blocks until
    // something reads it, and then fails (a FIFO cannot be fdatasync'ed).
    const temp = path.join(dataDir, 'inbox', '.snapshot.tmp');
    execFileSync('mkfifo', [temp]);
    try {
      // 3 × 20 KB passes 50 KB: the journal is cut and the snapshot starts, and stalls.
      for (const id of ['a', 'b', 'c']) await store.inbox.enqueueDelivery(delivery(id));
      await vi.waitFor(async () => expect(await journals(dataDir)).toEqual(['000001.journal', '000002.journal']));
      // Commits go on in the new journal file meanwhile: enqueues, a lease and a completion.
      for (const id of ['d', 'e']) expect((await store.inbox.enqueueDelivery(delivery(id))).inserted).toBe(true);
      const [first] = await store.inbox.leaseDeliveries(1, 60_000);
      await store.inbox.completeDelivery(first!.id);
      expect(store.commitStats.checkpoints).toBe(0);
    } finally {
      // Read asynchronously: the snapshot's writes need this event loop to go on.
      await promisify(execFile)('cat', [temp]);
    }
    await vi.waitFor(() => expect(store.commitStats.maintenanceFailures).toBe(1));
    // No snapshot took: replay would still start from the first journal, which is kept.
    expect((await inboxFiles(dataDir)).filter((f) => f.endsWith('.snapshot.json'))).toEqual([]);
    await rm(temp);
    // The next commit tries again, and this time the snapshot is written.
    await store.inbox.enqueueDelivery(delivery('f'));
    await vi.waitFor(() => expect(store.commitStats.checkpoints).toBe(1));
    expect((await inboxFiles(dataDir)).filter((f) => !f.endsWith('.journal'))).toEqual(['000003.snapshot.json']);
    await store.close();

    const again = await reopen(dataDir, options);
    for (const id of ['b', 'c', 'd', 'e', 'f']) expect(((await again.inbox.getDelivery(id))?.payload as { id: string }).id).toBe(id);
    expect(await again.inbox.getDelivery('a')).toMatchObject({ status: 'completed', attempts: 1 });
    await again.close();
  });

  it('moves the inbox of an older hot document (inline payloads or the payload log) into the journal', async () => {
    const dataDir = await tempDir();
    const at = new Date(T0).toISOString();
    await mkdir(path.join(dataDir, 'payloads'));
    await writeFile(path.join(dataDir, 'payloads', '000001.log'), `${JSON.stringify({ ref: 'logged' })}\n`);
    const inbox = {
      old: { id: 'old', source: 'github', event: 'push', payload: { ref: 'main' }, receivedAt: at, status: 'pending', attempts: 0 },
      logged: { id: 'logged', source: 'github', event: 'push', payloadRef: { file: 1, offset: 0, length: 16 }, receivedAt: at, status: 'pending', attempts: 0 },
      done: { id: 'done', source: 'github', event: 'push', receivedAt: at, status: 'completed', attempts: 1, completedAt: at },
    };
    await writeFile(path.join(dataDir, 'store.json'), JSON.stringify({ version: 1, inbox }));
    const store = await reopen(dataDir);
    expect(JSON.parse(await readFile(path.join(dataDir, 'store.json'), 'utf8'))).not.toHaveProperty('inbox');
    expect(await readdir(dataDir)).not.toContain('payloads');
    const leased = await store.inbox.leaseDeliveries(5, 60_000);
    expect(Object.fromEntries(leased.map((d) => [d.id, d.payload]))).toEqual({ old: { ref: 'main' }, logged: { ref: 'logged' } });
    expect((await store.inbox.enqueueDelivery({ ...delivery('done'), id: 'done' })).inserted).toBe(false);
    await store.close();
  });
});
