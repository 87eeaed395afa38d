import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/index.js';
import type { Run } from '../../src/domain/run.js';
import { copyStore } from '../../src/store/copy-store.js';
import { createLowdbStore } from '../../src/store/lowdb/create-lowdb-store.js';
import { createPostgresStore } from '../../src/store/postgres/create-postgres-store.js';
import type { Store } from '../../src/store/store.js';
import { createTestDatabase } from './postgres-test-db.js';
import { intent, mapping, T0 } from './store-fixtures.js';

const HOUR = 3600_000;
let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
let dataDir = '';
beforeAll(async () => {
  database = await createTestDatabase();
  dataDir = await mkdtemp(path.join(tmpdir(), 'copy-store-'));
});
afterAll(async () => {
  await database?.drop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function allRuns(store: Store): Promise<Run[]> {
  const out: Run[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.runs.listRuns({ limit: 7, ...(cursor ? { cursor } : {}) });
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

/** A data directory with something of every kind, its history rotated across several files. */
async function seedLowdb(clock: { now: number }, dir = dataDir): Promise<void> {
  const store = createLowdbStore({ dataDir: dir, clock: () => clock.now, historyFileBytes: 4096 });
  await store.open();
  await store.mappings.upsert(mapping('ENG'));
  await store.mappings.upsert(mapping('OPS'));
  for (let i = 0; i < 30; i++) {
    clock.now += 60_000;
    const claim = await store.runs.claimTicket(intent({ issueId: `i${i}`, identifier: `ENG-${i}`, ...(i === 3 ? { dedupKey: 'gap-fill:c1', phase: 'gap-fill' as const } : {}) }));
    if (!claim.claimed) throw new Error('not claimed');
    await store.runs.upsertStep({ runId: claim.run.id, id: 'checkout', type: 'git', status: 'passed', output: { i } });
    if (i % 3 !== 0) await store.runs.upsertStep({ runId: claim.run.id, id: 'agent', type: 'agent', status: 'running', logExcerpt: `log ${i}` });
    if (i % 2 === 0) await store.runs.updateRun(claim.run.id, { status: i % 4 ? 'succeeded' : 'failed', summary: `done ${i}` });
  }
  await store.dedup.put('i1', { identifier: 'ENG-1', runId: 'r', dispatchedAt: new Date(T0).toISOString(), expiresAt: new Date(T0 + 48 * HOUR).toISOString() });
  const at = (ms: number) => new Date(T0 + ms).toISOString();
  await store.inbox.enqueueDelivery({ id: 'd-pending', source: 'github', event: 'issues', payload: { n: 1 }, receivedAt: at(1), replayKey: { key: 'replay:body-1', expiresAt: at(48 * HOUR) } });
  await store.inbox.enqueueDelivery({ id: 'd-leased', source: 'linear', event: 'Issue', payload: { n: 2 }, receivedAt: at(0) });
  await store.inbox.enqueueDelivery({ id: 'd-done', source: 'jira', event: 'jira:issue_updated', payload: { n: 3 }, receivedAt: at(2) });
  await store.inbox.leaseDeliveries(1, 10 * HOUR);
  await store.inbox.completeDelivery('d-done');
  await store.tokens.consumeTokenJti('jti-1', T0 + 48 * HOUR);
  await store.settings.set('runnerMode', 'shadow');
  await store.settings.set('installationRepos', [{ owner: 'acme', repo: 'web' }]);
  await store.adminSessions.create({ id: 's1', tokenHash: 'h1', codeFingerprint: 'fp', createdAt: at(0), expiresAt: at(24 * HOUR) });
  await store.secrets.put({ id: 'global/API_KEY', scope: 'global', name: 'API_KEY', sealed: 'c2VhbGVk', keyId: 'k1', fingerprint: 'f', version: 1, createdAt: at(0), updatedAt: at(0), updatedBy: 'admin' });
  await store.schedules.create({
    id: 'sch-1',
    name: 'Nightly deps',
    mappingKey: 'ENG',
    cadence: { kind: 'daily', at: '02:00', timeZone: 'Europe/Berlin' },
    instructions: 'Update the dependencies',
    runAs: 'ops@example.com',
    enabled: true,
    nextRunAt: at(HOUR),
    createdAt: at(0),
    updatedAt: at(0),
  });
  for (let i = 0; i < 7; i++) await store.audit.append({ at: at(i), actor: i % 2 ? 'admin' : 'system', action: 'mapping.update', target: `m${i}`, after: { i } });
  for (let i = 0; i < 5; i++) await store.reaper.append({ at: at(i * 1000), rule: i % 2 ? 'orphan' : 'overtime', machineId: `m${i}`, tenant: 't', issue: `ENG-${i}`, ageSeconds: i, mode: i % 2 ? 'destroyed' : 'dry-run' });
  await store.close();
}

/** Everything a caller can read of the two stores is the same. */
async function expectSameContents(source: Store, target: Store): Promise<void> {
  const runs = await allRuns(source);
  expect(await allRuns(target)).toEqual(runs);
  for (const run of runs) expect(await target.runs.listSteps(run.id)).toEqual(await source.runs.listSteps(run.id));
  expect(await target.runs.listActiveRuns()).toEqual(await source.runs.listActiveRuns());
  expect(await target.runs.stats()).toEqual(await source.runs.stats());
  expect(await target.mappings.list()).toEqual(await source.mappings.list());
  expect(await target.settings.all()).toEqual(await source.settings.all());
  expect(await target.secrets.list()).toEqual(await source.secrets.list());
  expect(await target.schedules.list()).toEqual(await source.schedules.list());
  expect(await target.dedup.listActive()).toEqual(await source.dedup.listActive());
  expect(await target.adminSessions.getByTokenHash('h1')).toEqual(await source.adminSessions.getByTokenHash('h1'));
  expect(await target.audit.list({ limit: 3 })).toMatchObject({ items: (await source.audit.list({ limit: 3 })).items });
  expect((await target.audit.list({ actor: 'system' })).items).toEqual((await source.audit.list({ actor: 'system' })).items);
  expect(await target.reaper.listRecent(10)).toEqual(await source.reaper.listRecent(10));
  expect(await target.reaper.summary(T0)).toEqual(await source.reaper.summary(T0));
  for (const id of ['d-pending', 'd-leased', 'd-done']) expect(await target.inbox.getDelivery(id)).toEqual(await source.inbox.getDelivery(id));
  expect(await target.inbox.backlog()).toEqual(await source.inbox.backlog());
}

describe('copyStore: lowdb data directory → PostgreSQL', () => {
  it('copies every kind of record, checks it by counts, and the copy behaves as the original', async () => {
    const clock = { now: T0 };
    await seedLowdb(clock);
    const source = createLowdbStore({ dataDir, clock: () => clock.now });
    const target = createPostgresStore({ connectionString: database!.url, schema: 'copied', clock: () => clock.now });
    await source.open();
    await target.open();
    try {
      const report = await copyStore(source, target);
      expect(report.mismatches).toEqual([]);
      expect(report.read).toEqual({
        mapping: 2,
        run: 30,
        step: 30 + 20,
        'claim-key': 1,
        dedup: 1,
        delivery: 3,
        'one-time-key': 2,
        setting: 2,
        'admin-session': 1,
        secret: 1,
        schedule: 1,
        audit: 7,
        reaper: 5,
      });
      expect(report.target).toEqual(report.read);

      const runs = await allRuns(source);
      await expectSameContents(source, target);

      // What was spent stays spent, what is live stays claimed, and the logs go on numbering.
      expect(await target.tokens.consumeTokenJti('jti-1', T0 + HOUR)).toBe(false);
      expect(await target.inbox.enqueueDelivery({ id: 'd-replayed', source: 'github', event: 'issues', payload: {}, receivedAt: new Date(T0).toISOString(), replayKey: { key: 'replay:body-1', expiresAt: new Date(T0 + HOUR).toISOString() } })).toEqual({ inserted: false });
      const live = runs.find((r) => r.status === 'claimed')!;
      expect(await target.runs.claimTicket(intent({ issueId: live.issueId }))).toEqual({ claimed: false, existing: live });
      expect(await target.runs.claimTicket(intent({ issueId: 'other', phase: 'gap-fill', dedupKey: 'gap-fill:c1' }))).toMatchObject({ claimed: false, existing: { issueId: 'i3' } });
      await target.audit.append({ at: new Date(T0 + HOUR).toISOString(), actor: 'admin', action: 'x', target: 'after-import' });
      expect((await target.audit.list({ limit: 2 })).items.map((e) => e.target)).toEqual(['after-import', 'm6']);

      await expect(copyStore(source, target)).rejects.toBeInstanceOf(ConfigError);
    } finally {
      await source.close();
      await target.close();
    }
  });
});

describe('copyStore: PostgreSQL → an empty data directory (single-node downgrade)', () => {
  it('copies back every kind of record, checked by counts, and the round trip reads as the original', async () => {
    const clock = { now: T0 };
    const original = await mkdtemp(path.join(tmpdir(), 'copy-store-original-'));
    const downgraded = await mkdtemp(path.join(tmpdir(), 'copy-store-downgraded-'));
    try {
      await seedLowdb(clock, original);
      const source = createLowdbStore({ dataDir: original, clock: () => clock.now });
      const database_ = createPostgresStore({ connectionString: database!.url, schema: 'roundtrip', clock: () => clock.now });
      await source.open();
      await database_.open();
      expect((await copyStore(source, database_)).mismatches).toEqual([]);
      const back = createLowdbStore({ dataDir: downgraded, clock: () => clock.now });
      await back.open();
      try {
        const report = await copyStore(database_, back);
        expect(report.mismatches).toEqual([]);
        expect(report.read).toMatchObject({ run: 30, step: 50, delivery: 3, audit: 7, reaper: 5, secret: 1 });
        expect(report.target).toEqual(report.read);
        await expectSameContents(source, back);
        // The downgraded store goes on as the original would: spent stays spent, the logs go on numbering.
        expect(await back.tokens.consumeTokenJti('jti-1', T0 + HOUR)).toBe(false);
        await back.audit.append({ at: new Date(T0 + HOUR).toISOString(), actor: 'admin', action: 'x', target: 'after-downgrade' });
        expect((await back.audit.list({ limit: 2 })).items.map((e) => e.target)).toEqual(['after-downgrade', 'm6']);
        // A data directory that holds anything is refused.
        await expect(copyStore(database_, back)).rejects.toThrow(/already holds data/);
      } finally {
        await back.close();
        await source.close();
        await database_.close();
      }
      // What was written is on disk: a fresh process reads the same.
      const reopened = createLowdbStore({ dataDir: downgraded, clock: () => clock.now });
      await reopened.open();
      try {
        expect((await allRuns(reopened)).length).toBe(30);
        expect(await reopened.inbox.backlog()).toMatchObject({ pending: expect.any(Number) });
        expect((await reopened.audit.list({ limit: 1 })).items[0]?.target).toBe('after-downgrade');
      } finally {
        await reopened.close();
      }
    } finally {
      await rm(original, { recursive: true, force: true });
      await rm(downgraded, { recursive: true, force: true });
    }
  });
});
