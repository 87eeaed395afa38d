import { mkdtemp, readFile, readdir, rm, appendFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLowdbStore } from '../../src/store/lowdb/create-lowdb-store.js';
import { DataDirLockedError } from '../../src/store/lowdb/data-dir-lock.js';
import { seedRunHistory } from '../../src/store/lowdb/seed-run-history.js';
import type { Run } from '../../src/domain/run.js';
import { describeStoreContract, intent, mapping, T0 } from './store-contract.js';
import { describeInboxReplayContract } from './inbox-replay-contract.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'store-lowdb-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describeStoreContract('lowdb', async (clock) => createLowdbStore({ dataDir: await tempDir(), clock }));
describeInboxReplayContract('lowdb', async (clock) => createLowdbStore({ dataDir: await tempDir(), clock }));

function finishedRun(i: number, status: Run['status'] = 'succeeded'): Run {
  const at = new Date(T0 - 100_000 + i).toISOString();
  return {
    id: `h${i}`,
    issueId: `hi${i}`,
    identifier: `ENG-${i}`,
    tracker: 'linear',
    mappingKey: 'ENG',
    phase: 'implement',
    status,
    attempt: 1,
    dispatchNumber: 1,
    backend: 'local',
    runnerMode: 'default',
    triggerSource: 'poll',
    createdAt: at,
    updatedAt: at,
    finishedAt: at,
  };
}

describe('lowdb store', () => {
  it('shows everything again after close and reopen', async () => {
    const dataDir = await tempDir();
    const clock = () => T0;
    const a = createLowdbStore({ dataDir, clock });
    await a.open();
    await a.mappings.upsert(mapping('ENG'));
    const live = await a.runs.claimTicket(intent({ issueId: 'live' }));
    const done = await a.runs.claimTicket(intent({ issueId: 'done' }));
    if (!live.claimed || !done.claimed) throw new Error('not claimed');
    await a.runs.upsertStep({ runId: done.run.id, id: 'agent', type: 'agent', status: 'passed', output: { ok: true } });
    await a.runs.updateRun(done.run.id, { status: 'succeeded', prUrl: 'https://x/pr/1' });
    await a.inbox.enqueueDelivery({ id: 'd1', source: 'linear', event: 'Issue', payload: {}, receivedAt: new Date(T0).toISOString() });
    await a.tokens.consumeTokenJti('j1', T0 + 1000);
    await a.settings.set('runnerMode', 'fly');
    await a.audit.append({ at: new Date(T0).toISOString(), actor: 'admin', action: 'x', target: 'y' });
    await a.reaper.append({ at: new Date(T0).toISOString(), rule: 'orphan', machineId: 'm', tenant: 't', issue: 'i', ageSeconds: 1, mode: 'dry-run' });
    await a.close();

    const hot = JSON.parse(await readFile(path.join(dataDir, 'store.json'), 'utf8'));
    expect(Object.keys(hot.runs)).toEqual([live.run.id]);

    const b = createLowdbStore({ dataDir, clock });
    await b.open();
    expect((await b.mappings.get('ENG'))?.repo).toBe('eng');
    expect((await b.runs.getRun(done.run.id))?.prUrl).toBe('https://x/pr/1');
    expect((await b.runs.listSteps(done.run.id))[0]?.output).toEqual({ ok: true });
    expect((await b.runs.listRuns()).items.map((r) => r.id).sort()).toEqual([live.run.id, done.run.id].sort());
    expect((await b.runs.claimTicket(intent({ issueId: 'live' }))).claimed).toBe(false);
    expect((await b.inbox.enqueueDelivery({ id: 'd1', source: 'linear', event: 'Issue', payload: {}, receivedAt: new Date(T0).toISOString() })).inserted).toBe(false);
    expect(await b.tokens.consumeTokenJti('j1', T0 + 1000)).toBe(false);
    expect(await b.settings.get('runnerMode')).toBe('fly');
    expect((await b.audit.list()).items).toHaveLength(1);
    expect((await b.reaper.listRecent(5))[0]?.rule).toBe('orphan');
    await b.close();
  });

  it('groups 32 concurrent inbox enqueues into one durable write', async () => {
    const store = createLowdbStore({ dataDir: await tempDir() });
    await store.open();
    const before = store.commitStats.commits;
    const results = await Promise.all(
      Array.from({ length: 32 }, (_, i) =>
        store.inbox.enqueueDelivery({ id: `g${i}`, source: 'github', event: 'push', payload: { i }, receivedAt: new Date().toISOString() }),
      ),
    );
    expect(results.every((r) => r.inserted)).toBe(true);
    expect(store.commitStats.commits - before).toBe(1);
    await store.close();
  });

  it('rotates history files by size and still reads every run', async () => {
    const dataDir = await tempDir();
    const store = createLowdbStore({ dataDir, historyFileBytes: 4096, clock: () => T0 });
    await store.open();
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      const c = await store.runs.claimTicket(intent({ issueId: `r${i}`, instructions: 'x'.repeat(200) }));
      if (!c.claimed) throw new Error('not claimed');
      await store.runs.updateRun(c.run.id, { status: 'cancelled' });
      ids.push(c.run.id);
    }
    await store.close();
    const files = await readdir(path.join(dataDir, 'history', 'runs'));
    expect(files.length).toBeGreaterThan(2);
    const reopened = createLowdbStore({ dataDir, historyFileBytes: 4096 });
    await reopened.open();
    expect(await reopened.runs.countRuns({ status: 'cancelled' })).toBe(40);
    for (const id of ids) expect((await reopened.runs.getRun(id))?.status).toBe('cancelled');
    await reopened.close();
  });

  it('ignores a torn trailing history line and appends cleanly after it', async () => {
    const dataDir = await tempDir();
    await seedRunHistory(dataDir, [{ run: finishedRun(1), steps: [] }, { run: finishedRun(2), steps: [] }]);
    const file = path.join(dataDir, 'history', 'runs', '000001.jsonl');
    await appendFile(file, '{"run":{"id":"torn","createdAt":"2025');
    const store = createLowdbStore({ dataDir, clock: () => T0 });
    await store.open();
    expect(await store.runs.countRuns()).toBe(2);
    const c = await store.runs.claimTicket(intent());
    if (!c.claimed) throw new Error('not claimed');
    await store.runs.updateRun(c.run.id, { status: 'failed' });
    await store.close();
    const again = createLowdbStore({ dataDir, clock: () => T0 });
    await again.open();
    expect(await again.runs.countRuns()).toBe(3);
    expect((await again.runs.getRun(c.run.id))?.status).toBe('failed');
    await again.close();
  });

  it('lets the hot copy win when a run is in both places after a crash', async () => {
    const dataDir = await tempDir();
    const store = createLowdbStore({ dataDir, clock: () => T0 });
    await store.open();
    const c = await store.runs.claimTicket(intent());
    if (!c.claimed) throw new Error('not claimed');
    await store.runs.updateRun(c.run.id, { status: 'running' });
    await store.close();
    // Simulate a crash after the history append but before the hot rewrite.
    await seedRunHistory(dataDir, [{ run: { ...c.run, status: 'failed' }, steps: [] }]);
    const reopened = createLowdbStore({ dataDir, clock: () => T0 });
    await reopened.open();
    expect((await reopened.runs.getRun(c.run.id))?.status).toBe('running');
    expect((await reopened.runs.listRuns()).items.map((r) => r.id)).toEqual([c.run.id]);
    expect(await reopened.runs.countRuns()).toBe(1);
    expect((await reopened.runs.stats()).failedLast24h).toBe(0);
    await reopened.runs.updateRun(c.run.id, { status: 'succeeded' });
    expect((await reopened.runs.getRun(c.run.id))?.status).toBe('succeeded');
    expect(await reopened.runs.countRuns()).toBe(1);
    await reopened.close();
  });

  it('refuses a second store on the same directory in this process, naming the lock', async () => {
    const dataDir = await tempDir();
    const a = createLowdbStore({ dataDir });
    await a.open();
    const b = createLowdbStore({ dataDir });
    const error = await b.open().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(DataDirLockedError);
    expect((error as Error).message).toContain(path.join(dataDir, '.lock'));
    expect((error as Error).message).toContain(`pid ${process.pid}`);
    expect(b.isOpen).toBe(false);
    await a.close();
    await b.open();
    await b.close();
  });

  it('takes over a stale lock left by a dead process', async () => {
    const dataDir = await tempDir();
    const { hostname } = await import('node:os');
    await writeFile(path.join(dataDir, '.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, hostname: hostname() }));
    const store = createLowdbStore({ dataDir });
    await store.open();
    expect(JSON.parse(await readFile(path.join(dataDir, '.lock'), 'utf8')).pid).toBe(process.pid);
    await store.close();
  });

  it('serves history paging and aggregates from the index over many finished runs', async () => {
    const dataDir = await tempDir();
    const n = 20_000;
    await seedRunHistory(
      dataDir,
      (function* () {
        for (let i = 0; i < n; i++) yield { run: finishedRun(i, i % 10 === 0 ? 'failed' : 'succeeded'), steps: [] };
      })(),
    );
    const store = createLowdbStore({ dataDir, clock: () => T0 });
    await store.open();
    const started = performance.now();
    const page = await store.runs.listRuns({ limit: 50, status: 'failed' });
    const stats = await store.runs.stats();
    const elapsed = performance.now() - started;
    expect(page.items).toHaveLength(50);
    expect(page.items[0]?.id).toBe(`h${n - 10}`);
    expect(stats.failedLast24h).toBe(n / 10);
    expect(stats.createdLast24h).toBe(n);
    expect(elapsed).toBeLessThan(200);
    await store.close();
  });
});
