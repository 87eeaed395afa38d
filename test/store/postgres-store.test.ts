import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTIVE_RUN_STATUSES } from '../../src/domain/run-status.js';
import { ConfigError, ExternalServiceError } from '../../src/errors/index.js';
import { createPostgresStore, type PostgresStore } from '../../src/store/postgres/create-postgres-store.js';
import { LIVE_RUN, MIGRATIONS } from '../../src/store/postgres/migrations.js';
import type { Clock } from '../../src/store/store.js';
import { describeInboxReplayContract } from './inbox-replay-contract.js';
import { createTestDatabase } from './postgres-test-db.js';
import { describeStoreContract, intent, T0 } from './store-contract.js';

let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

let schemas = 0;
/** Each store its own schema in the file's database: every contract case starts empty. */
function store(clock: Clock = () => T0, schema = `s${++schemas}`): PostgresStore {
  if (!database) throw new Error('the test database was not created (see the beforeAll error)');
  return createPostgresStore({ connectionString: database.url, schema, clock });
}

async function sql<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: database!.url });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

describeStoreContract('postgres', async (clock) => store(clock));
describeInboxReplayContract('postgres', async (clock) => store(clock));

describe('postgres store: open and close', () => {
  it('lets the calls in flight finish before close() ends the pool', async () => {
    const s = store(undefined, 'closing');
    await s.open();
    const calls = Array.from({ length: 40 }, (_, i) => s.runs.claimTicket(intent({ issueId: `c${i}` })));
    await s.close();
    expect(s.isOpen).toBe(false);
    expect((await Promise.all(calls)).every((r) => r.claimed)).toBe(true);
    await s.open();
    expect(await s.runs.countRuns()).toBe(40);
    await s.close();
  });
});

describe('postgres store: text PostgreSQL cannot hold', () => {
  it('keeps runner text with NUL characters, as U+FFFD, and answers what a later read returns', async () => {
    const s = store();
    await s.open();
    try {
      const claim = await s.runs.claimTicket(intent({ title: 'bad\0title' }));
      if (!claim.claimed) throw new Error('not claimed');
      expect(claim.run.title).toBe('bad\uFFFDtitle');
      const step = await s.runs.upsertStep({ runId: claim.run.id, id: 'agent', type: 'agent', status: 'failed', logExcerpt: 'out\0put', output: { raw: '\0' } });
      expect(await s.runs.listSteps(claim.run.id)).toEqual([step]);
      expect(step).toMatchObject({ logExcerpt: 'out\uFFFDput', output: { raw: '\uFFFD' } });
      const failed = await s.runs.updateRun(claim.run.id, { status: 'failed', failureReason: 'exit\0 1' });
      expect(failed.failureReason).toBe('exit\uFFFD 1');
      expect(await s.runs.getRun(claim.run.id)).toEqual(failed);
      await s.inbox.enqueueDelivery({ id: 'nul', source: 'github', event: 'issues', payload: {}, receivedAt: new Date(T0).toISOString() });
      await s.inbox.failDelivery('nul', 'handler\0threw', null);
      expect((await s.inbox.getDelivery('nul'))?.lastError).toBe('handler\uFFFDthrew');
    } finally {
      await s.close();
    }
  });
});

describe('postgres store: migrations', () => {
  it('applies each migration once when two replicas open a fresh schema together', async () => {
    const [a, b] = [store(undefined, 'race_migrate'), store(undefined, 'race_migrate')];
    await Promise.all([a.open(), b.open()]);
    expect([a.migration?.applied, b.migration?.applied].sort()).toEqual([[], MIGRATIONS.map((m) => m.version)].sort());
    const rows = await sql<{ version: number; applied_at: Date }>('SELECT version, applied_at FROM race_migrate.migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(rows[0]!.applied_at).toBeInstanceOf(Date);
    await Promise.all([a.close(), b.close()]);
    const again = store(undefined, 'race_migrate');
    await again.open();
    expect(again.migration).toEqual({ applied: [], version: Math.max(...MIGRATIONS.map((m) => m.version)) });
    await again.close();
  });

  it('refuses a schema migrated by a newer build', async () => {
    const s = store(undefined, 'from_the_future');
    await s.open();
    await s.close();
    await sql(`INSERT INTO from_the_future.migrations (version, name) VALUES (999, 'later')`);
    const error = await s.open().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/version 999, newer than this build knows/);
    expect(s.isOpen).toBe(false);
  });

  it('fails open() with a retryable outage when the server cannot be reached', async () => {
    const s = createPostgresStore({ connectionString: 'postgres://postgres@127.0.0.1:1/nothing', clock: () => T0 });
    const error = await s.open().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExternalServiceError);
    expect(error).toMatchObject({ service: 'postgres', retryable: true });
    expect(s.isOpen).toBe(false);
  });
});

describe('postgres store: one live run per ticket and phase, enforced by the database', () => {
  it('claims with the same live-run predicate as the unique index, over the domain’s active statuses', async () => {
    const listed = [...LIVE_RUN.matchAll(/'([a-z-]+)'/g)].map((m) => m[1]);
    expect(listed.sort()).toEqual([...ACTIVE_RUN_STATUSES].sort());
    const s = store(undefined, 'index_shape');
    await s.open();
    await s.close();
    const [index] = await sql<{ indexdef: string }>(`SELECT indexdef FROM pg_indexes WHERE schemaname = 'index_shape' AND indexname = 'runs_one_live_per_ticket_phase'`);
    expect(index?.indexdef).toMatch(/^CREATE UNIQUE INDEX .* \(issue_id, phase, is_shadow\) WHERE/);
    for (const status of ACTIVE_RUN_STATUSES) expect(index?.indexdef).toContain(`'${status}'`);
  });

  it('rejects a second live run written past the store, straight into the table', async () => {
    const s = store(undefined, 'raw_insert');
    await s.open();
    const first = await s.runs.claimTicket(intent());
    await s.close();
    if (!first.claimed) throw new Error('not claimed');
    const copy = { ...first.run, id: 'sneaky' };
    const insert = `INSERT INTO raw_insert.runs (id, issue_id, phase, status, attempt, mapping_key, backend, runner_mode, trigger_source, created_at, updated_at, run)
      VALUES ($1, 'issue-1', 'implement', $2, 1, 'ENG', 'github-actions', 'default', 'poll', now(), now(), $3)`;
    await expect(sql(insert, ['sneaky', 'running', JSON.stringify(copy)])).rejects.toMatchObject({ code: '23505', constraint: 'runs_one_live_per_ticket_phase' });
    // A finished run of the same ticket and phase is history, not a second live one.
    await expect(sql(insert, ['done', 'succeeded', JSON.stringify({ ...copy, id: 'done' })])).resolves.toEqual([]);
  });

  it('lets exactly one of 50 concurrent claims from two replicas (two pools) win', async () => {
    const [a, b] = [store(undefined, 'two_replicas'), store(undefined, 'two_replicas')];
    await a.open();
    await b.open();
    try {
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).runs.claimTicket(intent({ issueId: 'race' }))));
      const winners = results.filter((r) => r.claimed);
      expect(winners).toHaveLength(1);
      const winner = winners[0]!.claimed ? winners[0]!.run.id : '';
      for (const r of results) if (!r.claimed) expect(r.existing.id).toBe(winner);
      expect(await a.runs.countRuns({ issueId: 'race' })).toBe(1);

      // And ticket by ticket: 50 tickets, each claimed by both replicas at the same moment.
      const pairs = await Promise.all(
        Array.from({ length: 50 }, (_, i) => Promise.all([a.runs.claimTicket(intent({ issueId: `t${i}` })), b.runs.claimTicket(intent({ issueId: `t${i}` }))])),
      );
      for (const [x, y] of pairs) {
        expect([x.claimed, y.claimed].filter(Boolean)).toHaveLength(1);
        const won = x.claimed ? x.run : y.claimed ? y.run : undefined;
        const lost = x.claimed ? y : x;
        expect(!lost.claimed && lost.existing.id).toBe(won?.id);
      }
      expect(await b.runs.listActiveRuns()).toHaveLength(51);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('lets one compare-and-set update and one use of a token id win across two replicas', async () => {
    const [a, b] = [store(undefined, 'two_writers'), store(undefined, 'two_writers')];
    await a.open();
    await b.open();
    try {
      const claim = await a.runs.claimTicket(intent());
      if (!claim.claimed) throw new Error('not claimed');
      const updates = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).runs.updateRun(claim.run.id, { status: 'launching', upstreamId: `u${i}` }, { expectStatus: 'claimed', expectAttempt: 1 })),
      );
      expect(updates.filter((u) => u.status === 'fulfilled')).toHaveLength(1);
      const jtis = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).tokens.consumeTokenJti('result-jti', T0 + 60_000)));
      expect(jtis.filter(Boolean)).toHaveLength(1);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('leases the inbox from two replicas at once without handing a delivery out twice', async () => {
    const [a, b] = [store(undefined, 'two_leasers'), store(undefined, 'two_leasers')];
    await a.open();
    await b.open();
    try {
      for (let i = 0; i < 60; i++) {
        await a.inbox.enqueueDelivery({ id: `d${i}`, source: 'github', event: 'issues', payload: { i }, receivedAt: new Date(T0 + i).toISOString() });
      }
      const batches = await Promise.all(Array.from({ length: 16 }, (_, i) => (i % 2 ? a : b).inbox.leaseDeliveries(5, 60_000)));
      const ids = batches.flat().map((d) => d.id);
      expect(ids).toHaveLength(60);
      expect(new Set(ids).size).toBe(60);
      for (const batch of batches) expect(batch.map((d) => d.receivedAt)).toEqual(batch.map((d) => d.receivedAt).sort());
      expect(await b.inbox.backlog()).toEqual({ pending: 0, leased: 60 });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
