import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src/domain/run.js';
import type { RunHistoryRecord } from '../../src/store/core/hot-doc.js';
import { createLowdbStore } from '../../src/store/lowdb/create-lowdb-store.js';
import { JsonlHistory } from '../../src/store/lowdb/jsonl-history.js';
import { seedLogHistory } from '../../src/store/lowdb/seed-log-history.js';
import { seedRunHistory } from '../../src/store/lowdb/seed-run-history.js';
import { createMemoryStore } from '../../src/store/memory/create-memory-store.js';
import { describeStoreContract, intent, ManualClock, T0 } from './store-contract.js';
import type { Store } from '../../src/store/store.js';
import { expectSameAnswers, lcg, playWorkload } from './run-index-workload.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'store-run-index-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** Tiny history files: nearly every finished run rotates a file, so the contract runs over sealed sidecars. */
const TINY = 2048;
describeStoreContract('lowdb with 2 KiB history files', async (clock) => createLowdbStore({ dataDir: await tempDir(), clock, historyFileBytes: TINY }));

const indexDir = (dataDir: string) => path.join(dataDir, 'history', 'runs', 'index');

function finished(i: number, overrides: Partial<Run> = {}): RunHistoryRecord {
  const at = new Date(T0 - 1_000_000 + i * 1000).toISOString();
  const run: Run = {
    id: `h${i}`, issueId: `issue-${i % 10}`, identifier: `ENG-${i}`, tracker: 'linear', mappingKey: i % 2 ? 'ENG' : 'OPS', phase: 'implement',
    status: i % 5 === 0 ? 'failed' : 'succeeded', attempt: 1, dispatchNumber: 1, backend: 'local', runnerMode: 'default', triggerSource: 'poll',
    createdAt: at, updatedAt: at, finishedAt: at, ...overrides,
  };
  return { run, steps: [{ runId: run.id, id: 'agent', type: 'agent', status: 'passed', updatedAt: at }] };
}

describe('lowdb run index on disk', () => {
  it('answers like the in-memory index while files rotate, after a reopen, and after a migration', async () => {
    const span = { from: T0, to: 0 };
    const memoryClock = new ManualClock();
    const memory = createMemoryStore({ clock: memoryClock.read });
    await memory.open();
    const ids = await playWorkload(memory, memoryClock, 160);
    span.to = memoryClock.now;

    const dataDir = await tempDir();
    const clock = new ManualClock();
    const lowdb = createLowdbStore({ dataDir, clock: clock.read, historyFileBytes: 4096 });
    await lowdb.open();
    expect(await playWorkload(lowdb, clock, 160)).toEqual(ids);
    await expectSameAnswers(lowdb, memory, ids, span);
    await lowdb.close();
    expect((await readdir(indexDir(dataDir))).filter((f) => f.endsWith('.idx')).length).toBeGreaterThan(20);

    const reopened = createLowdbStore({ dataDir, clock: clock.read, historyFileBytes: 4096 });
    await reopened.open();
    await expectSameAnswers(reopened, memory, ids, span);
    await reopened.close();

    // A data directory of the format before the on-disk index: no index folder at all.
    await rm(indexDir(dataDir), { recursive: true });
    const migrated = createLowdbStore({ dataDir, clock: clock.read, historyFileBytes: 4096 });
    await migrated.open();
    await expectSameAnswers(migrated, memory, ids, span);
    await migrated.close();
    await memory.close();
  });

  it('opens from the manifest and the newest file only', async () => {
    const dataDir = await tempDir();
    await seedRunHistory(dataDir, (function* () { for (let i = 0; i < 300; i++) yield finished(i); })(), { historyFileBytes: 8192, chunk: 10 });
    const runsDir = path.join(dataDir, 'history', 'runs');
    const files = (await readdir(runsDir)).filter((f) => f.endsWith('.jsonl')).sort();
    expect(files.length).toBeGreaterThan(5);
    // Blank out every sealed file: an open that read them would index nothing from them.
    for (const f of files.slice(0, -1)) await writeFile(path.join(runsDir, f), ' '.repeat((await stat(path.join(runsDir, f))).size));
    const store = createLowdbStore({ dataDir, clock: () => T0 });
    await store.open();
    expect(await store.runs.countRuns()).toBe(300);
    expect(await store.runs.countRuns({ status: 'failed', mappingKey: 'OPS' })).toBe(30);
    expect(await store.runs.countRuns({ issueId: 'issue-3' })).toBe(30);
    expect((await store.runs.stats()).createdLast24h).toBe(300);
    await store.close();
  });

  it('migrates a data directory of the previous format, the later of two records of one run winning', async () => {
    const dataDir = await tempDir();
    // Written as the previous release did: JSON Lines only, one run finished twice across files (a crash between history and hot writes).
    const history = new JsonlHistory(path.join(dataDir, 'history'), 4096);
    for (let i = 0; i < 60; i++) await history.append('runs', [finished(i)]);
    await history.append('runs', [finished(3, { status: 'cancelled' })]);
    for (let i = 60; i < 80; i++) await history.append('runs', [finished(i)]);
    await history.close();
    const store = createLowdbStore({ dataDir, clock: () => T0 });
    await store.open();
    expect(await store.runs.countRuns()).toBe(80);
    expect((await store.runs.getRun('h3'))?.status).toBe('cancelled');
    expect(await store.runs.countRuns({ status: 'cancelled' })).toBe(1);
    expect(await store.runs.countRuns({ status: 'failed' })).toBe(16);
    expect((await store.runs.listRuns({ limit: 500 })).items.filter((r) => r.id === 'h3')).toHaveLength(1);
    expect((await store.runs.stats()).failedLast24h).toBe(16);
    await store.close();
    const manifest = JSON.parse(await readFile(path.join(indexDir(dataDir), 'manifest.json'), 'utf8')) as { segments: unknown[] };
    expect(manifest.segments.length).toBeGreaterThan(5);
  });

  it('replaces a sealed history copy when a run that crashed mid-finish finishes again', async () => {
    const dataDir = await tempDir();
    const clock = new ManualClock();
    const a = createLowdbStore({ dataDir, clock: clock.read, historyFileBytes: 2048 });
    await a.open();
    const c = await a.runs.claimTicket(intent({ issueId: 'crashy' }));
    if (!c.claimed) throw new Error('not claimed');
    await a.runs.updateRun(c.run.id, { status: 'running' });
    await a.close();
    // The crash: the finish reached history, the hot document still says running.
    await seedRunHistory(dataDir, [{ run: { ...c.run, status: 'failed', finishedAt: new Date(T0).toISOString() }, steps: [] }], { historyFileBytes: 2048 });
    // Push that record into a sealed file.
    await seedRunHistory(dataDir, (function* () { for (let i = 0; i < 40; i++) yield finished(i); })(), { historyFileBytes: 2048, chunk: 1 });
    const b = createLowdbStore({ dataDir, clock: clock.read, historyFileBytes: 2048 });
    await b.open();
    expect((await b.runs.getRun(c.run.id))?.status).toBe('running');
    expect(await b.runs.countRuns({ issueId: 'crashy' })).toBe(1);
    expect((await b.runs.stats()).failedLast24h).toBe(8);
    await b.runs.updateRun(c.run.id, { status: 'succeeded' });
    expect(await b.runs.countRuns({ issueId: 'crashy' })).toBe(1);
    expect((await b.runs.stats()).failedLast24h).toBe(8);
    await b.close();
    const again = createLowdbStore({ dataDir, clock: clock.read, historyFileBytes: 2048 });
    await again.open();
    expect((await again.runs.getRun(c.run.id))?.status).toBe('succeeded');
    expect((await again.runs.listRuns({ issueId: 'crashy' })).items.map((r) => r.status)).toEqual(['succeeded']);
    expect(await again.runs.countRuns({ status: 'failed' })).toBe(8);
    await again.close();
  });

  it('pages and summarises audit events and reaper actions from sealed files like the in-memory logs', async () => {
    const write = async (store: Store) => {
      const random = lcg(11);
      for (let i = 0; i < 150; i++) {
        const at = new Date(T0 + Math.floor(random() * 3_600_000)).toISOString();
        await store.audit.append({ at, actor: ['admin', 'orchestrator', 'reaper'][i % 3]!, action: random() < 0.5 ? 'dispatch.start' : 'mapping.update', target: `t${i}` });
        if (i % 2) await store.reaper.append({ at, rule: random() < 0.5 ? 'orphan' : 'overtime', machineId: `m${i}`, tenant: 'acme', issue: `ENG-${i}`, ageSeconds: i, mode: random() < 0.3 ? 'destroyed' : 'dry-run' });
      }
    };
    const answers = async (store: Store) => {
      const pages: string[][] = [];
      for (const filter of [{}, { actor: 'admin' }, { action: 'dispatch.start' }, { actor: 'reaper', action: 'mapping.update' }, { actor: 'nobody' }]) {
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.audit.list({ ...filter, limit: 9, ...(cursor ? { cursor } : {}) });
          seen.push(...page.items.map((e) => e.target));
          cursor = page.nextCursor;
        } while (cursor);
        pages.push(seen);
      }
      const recent = (await store.reaper.listRecent(40)).map((a) => a.machineId);
      const summaries = await Promise.all([0, 900_000, 1_800_000, 3_000_000].map((d) => store.reaper.summary(T0 + d)));
      return { pages, recent, summaries };
    };
    const memory = createMemoryStore({ clock: () => T0 });
    await memory.open();
    await write(memory);
    const expected = await answers(memory);
    expect(expected.pages[0]).toHaveLength(150);

    const dataDir = await tempDir();
    const lowdb = createLowdbStore({ dataDir, clock: () => T0, historyFileBytes: 1024 });
    await lowdb.open();
    await write(lowdb);
    expect(await answers(lowdb)).toEqual(expected);
    await lowdb.close();
    expect((await readdir(path.join(dataDir, 'history', 'audit', 'index'))).length).toBeGreaterThan(10);
    for (const remove of [false, true]) {
      // The second time without any index: a data directory of the previous format.
      if (remove) for (const stream of ['audit', 'reaper']) await rm(path.join(dataDir, 'history', stream, 'index'), { recursive: true });
      const reopened = createLowdbStore({ dataDir, clock: () => T0, historyFileBytes: 1024 });
      await reopened.open();
      expect(await answers(reopened)).toEqual(expected);
      await reopened.close();
    }
    await memory.close();
  });

  it('seeds audit events in bulk with their index, as the store writes them', async () => {
    const dataDir = await tempDir();
    const events = (function* () {
      for (let i = 0; i < 300; i++) yield { at: new Date(T0 + i).toISOString(), actor: i % 3 ? 'orchestrator' : 'admin', action: 'dispatch.start', target: `r${i}` };
    })();
    expect(await seedLogHistory(dataDir, 'audit', events, { historyFileBytes: 2048, chunk: 7 })).toBe(300);
    const manifest = JSON.parse(await readFile(path.join(dataDir, 'history', 'audit', 'index', 'manifest.json'), 'utf8')) as { segments: unknown[] };
    expect(manifest.segments.length).toBeGreaterThan(5);
    const store = createLowdbStore({ dataDir, clock: () => T0 });
    await store.open();
    const first = await store.audit.list({ actor: 'admin', limit: 60 });
    expect(first.items.map((e) => e.target).slice(0, 2)).toEqual(['r297', 'r294']);
    const second = await store.audit.list({ actor: 'admin', limit: 60, ...(first.nextCursor ? { cursor: first.nextCursor } : {}) });
    expect(second.items).toHaveLength(40);
    expect(second.nextCursor).toBeUndefined();
    await store.close();
  });
});

describe('lowdb run index from an older build', () => {
  it('indexes sealed files again when their sidecars have no runtime or owner codes, so those filters count them', async () => {
    const dataDir = await tempDir();
    const clock = new ManualClock();
    const store = createLowdbStore({ dataDir, clock: clock.read, historyFileBytes: TINY });
    await store.open();
    for (let i = 0; i < 12; i++) {
      clock.advance(1000);
      const c = await store.runs.claimTicket(intent({ issueId: `o${i}`, instructions: 'x'.repeat(600), owner: i % 3 ? 'ann@example.test' : 'bob@example.test', agentRuntime: i % 2 ? 'codex' : 'claude-code' }));
      if (!c.claimed) throw new Error('not claimed');
      await store.runs.updateRun(c.run.id, { status: 'succeeded' });
    }
    await store.close();
    // What an older build left: the manifest's dictionaries without runtime and owner.
    const manifestPath = path.join(indexDir(dataDir), 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { segments: { dict: Record<string, unknown> }[] };
    expect(manifest.segments.length).toBeGreaterThan(3);
    for (const segment of manifest.segments) {
      delete segment.dict['runtime'];
      delete segment.dict['owner'];
    }
    await writeFile(manifestPath, JSON.stringify(manifest));

    const reopened = createLowdbStore({ dataDir, clock: clock.read, historyFileBytes: TINY });
    await reopened.open();
    expect(await reopened.runs.countRuns({ owner: 'bob@example.test' })).toBe(4);
    expect(await reopened.runs.countRuns({ runtime: 'codex', owner: 'ann@example.test' })).toBe(4);
    expect((await reopened.runs.listRuns({ owner: 'bob@example.test' })).items.map((r) => r.issueId)).toEqual(['o9', 'o6', 'o3', 'o0']);
    expect(await reopened.runs.countRuns()).toBe(12);
    await reopened.close();
    const rewritten = JSON.parse(await readFile(manifestPath, 'utf8')) as { segments: { dict: Record<string, unknown> }[] };
    expect(rewritten.segments.every((s) => Array.isArray(s.dict['owner']) && Array.isArray(s.dict['runtime']))).toBe(true);
  });
});
