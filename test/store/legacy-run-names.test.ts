import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src/domain/run.js';
import { HOT_FILE_NAME, createLowdbStore } from '../../src/store/lowdb/create-lowdb-store.js';
import { seedRunHistory } from '../../src/store/lowdb/seed-run-history.js';
import { createPostgresStore } from '../../src/store/postgres/create-postgres-store.js';
import { MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { createTestDatabase } from './postgres-test-db.js';
import { T0 } from './store-contract.js';

/** A run as a build before issue 19 wrote it: old status and source names are plain strings here. */
function oldRun(id: string, fields: Record<string, unknown>): Run {
  const at = new Date(T0).toISOString();
  return {
    id,
    issueId: `issue-${id}`,
    identifier: `ENG-${id}`,
    tracker: 'linear',
    mappingKey: 'ENG',
    phase: 'implement',
    attempt: 1,
    dispatchNumber: 1,
    backend: 'local',
    runnerMode: 'default',
    createdAt: at,
    updatedAt: at,
    ...fields,
  } as unknown as Run;
}

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('a lowdb data directory written with the old run names', () => {
  it('opens with live runs rewritten and finished runs read in the new names', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'legacy-names-'));
    dirs.push(dataDir);
    // History files of the old build (finished runs), then its hot document (live runs).
    await seedRunHistory(dataDir, [
      { run: oldRun('done', { status: 'succeeded', prUrl: 'https://github.com/acme/app/pull/3', triggerSource: 'comment', phase: 'gap-fill', finishedAt: new Date(T0).toISOString() }), steps: [] },
      { run: oldRun('plan', { status: 'succeeded', phase: 'plan', triggerSource: 'trigger', finishedAt: new Date(T0).toISOString() }), steps: [] },
    ]);
    const fresh = createLowdbStore({ dataDir, clock: () => T0 });
    await fresh.open();
    await fresh.close();
    const hotPath = path.join(dataDir, HOT_FILE_NAME);
    const doc = JSON.parse(await readFile(hotPath, 'utf8')) as { runs: Record<string, Run> };
    doc.runs['live'] = oldRun('live', { status: 'dispatched', triggerSource: 'webhook', upstreamId: 'local-1' });
    doc.runs['claim'] = oldRun('claim', { status: 'dispatching', triggerSource: 'webhook', tracker: 'jira' });
    await writeFile(hotPath, JSON.stringify(doc));

    const store = createLowdbStore({ dataDir, clock: () => T0 + 1000 });
    await store.open();
    try {
      expect(await store.runs.getRun('live')).toMatchObject({ status: 'launching', triggerSource: 'linear-webhook' });
      expect(await store.runs.getRun('claim')).toMatchObject({ status: 'claimed', triggerSource: 'jira-webhook' });
      expect(await store.runs.getRun('done')).toMatchObject({ status: 'pr_opened', triggerSource: 'pr-comment' });
      expect(await store.runs.getRun('plan')).toMatchObject({ status: 'succeeded', triggerSource: 'gap-fill-trigger' });
      // The live ones are written back, so they move on through the state machine like any other.
      expect((await store.runs.listActiveRuns({ status: 'launching' })).map((r) => r.id)).toEqual(['live']);
      const running = await store.runs.updateRun('live', { status: 'running' });
      expect(running.transitions).toEqual([{ from: 'launching', to: 'running', at: new Date(T0 + 1000).toISOString() }]);
      expect((await store.runs.listRuns({ limit: 10 })).items.map((r) => r.status).sort()).toEqual(['claimed', 'pr_opened', 'running', 'succeeded']);
      // The index of finished runs speaks the new names too: filters and counts find the old records by them.
      expect((await store.runs.listRuns({ status: 'pr_opened' })).items.map((r) => r.id)).toEqual(['done']);
      expect(await store.runs.countRuns({ triggerSource: 'pr-comment' })).toBe(1);
      expect(await store.runs.countRuns({ triggerSource: 'gap-fill-trigger', status: 'succeeded' })).toBe(1);
    } finally {
      await store.close();
    }
    const saved = JSON.parse(await readFile(hotPath, 'utf8')) as { runs: Record<string, Run> };
    expect(saved.runs['claim']).toMatchObject({ status: 'claimed', triggerSource: 'jira-webhook' });
  });
});

describe('a PostgreSQL schema at version 3 holding the old run names', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  async function sql<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    const client = new pg.Client({ connectionString: database!.url });
    await client.connect();
    try {
      return (await client.query<R>(text, values)).rows;
    } finally {
      await client.end();
    }
  }

  it('is migrated by version 4: rows, the status CHECK and the live-run index take the new names', async () => {
    // The schema exactly as the build before issue 19 left it.
    await sql('CREATE SCHEMA legacy');
    const old = MIGRATIONS.filter((m) => m.version <= 3);
    const client = new pg.Client({ connectionString: database!.url });
    await client.connect();
    try {
      await client.query('SET search_path TO legacy');
      await client.query('CREATE TABLE migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
      for (const m of old) {
        await client.query(m.sql);
        await client.query('INSERT INTO migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      }
      const insert = `INSERT INTO runs (id, issue_id, phase, status, attempt, mapping_key, backend, runner_mode, trigger_source, created_at, updated_at, run)
        VALUES ($1, $2, $3, $4, 1, 'ENG', 'local', 'default', $5, now(), now(), $6)`;
      const rows: Run[] = [
        oldRun('live', { status: 'dispatched', triggerSource: 'webhook', tracker: 'jira' }),
        oldRun('claim', { status: 'dispatching', triggerSource: 'webhook' }),
        oldRun('done', { status: 'succeeded', triggerSource: 'comment', phase: 'gap-fill', prUrl: 'https://github.com/acme/app/pull/3' }),
        oldRun('plan', { status: 'succeeded', triggerSource: 'trigger', phase: 'plan' }),
      ];
      for (const run of rows) await client.query(insert, [run.id, run.issueId, run.phase, run.status, run.triggerSource, JSON.stringify(run)]);
    } finally {
      await client.end();
    }

    const store = createPostgresStore({ connectionString: database!.url, schema: 'legacy', clock: () => T0 });
    await store.open();
    try {
      expect(await store.runs.getRun('live')).toMatchObject({ status: 'launching', triggerSource: 'jira-webhook' });
      expect(await store.runs.getRun('claim')).toMatchObject({ status: 'claimed', triggerSource: 'linear-webhook' });
      expect(await store.runs.getRun('done')).toMatchObject({ status: 'pr_opened', triggerSource: 'pr-comment' });
      expect(await store.runs.getRun('plan')).toMatchObject({ status: 'succeeded', triggerSource: 'gap-fill-trigger' });
      expect((await store.runs.listActiveRuns({ status: ['claimed', 'launching'] })).map((r) => r.id).sort()).toEqual(['claim', 'live']);
      // The live slot still holds: a second claim of the claimed ticket's phase finds it.
      const second = await store.runs.claimTicket({ issueId: 'issue-claim', identifier: 'ENG-claim', tracker: 'linear', mappingKey: 'ENG', phase: 'implement', backend: 'local', runnerMode: 'default', triggerSource: 'poll' });
      expect(second).toMatchObject({ claimed: false, existing: { id: 'claim' } });
      // A retrying run holds it too, which the old CHECK would have refused.
      expect(await store.runs.updateRun('claim', { status: 'retrying', retryAt: new Date(T0 + 60_000).toISOString() })).toMatchObject({ status: 'retrying' });
    } finally {
      await store.close();
    }
    const [columns] = await sql<{ statuses: string }>("SELECT string_agg(id || ':' || status || ':' || trigger_source, ',' ORDER BY id) AS statuses FROM legacy.runs");
    expect(columns?.statuses).toBe('claim:retrying:linear-webhook,done:pr_opened:pr-comment,live:launching:jira-webhook,plan:succeeded:gap-fill-trigger');
    const [index] = await sql<{ indexdef: string }>("SELECT indexdef FROM pg_indexes WHERE schemaname = 'legacy' AND indexname = 'runs_one_live_per_ticket_phase'");
    expect(index?.indexdef).toContain("'retrying'");
    expect(index?.indexdef).not.toContain("'dispatching'");
    await expect(sql("UPDATE legacy.runs SET status = 'dispatched' WHERE id = 'live'")).rejects.toThrow(/runs_status_check/);
  });
});
