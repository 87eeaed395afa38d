import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src/domain/run.js';
import { createTestDatabase } from '../store/postgres-test-db.js';
import { intent } from '../store/store-fixtures.js';
import { SECRETS, startHarness, type OrchestratorHarness } from '../support/orchestrator-harness.js';

/**
 * Two orchestrators on one PostgreSQL database, each with its own emulators
 * (so what each replica asks of Linear is counted apart), as two machines
 * behind a load balancer would run.
 */
const LEASE = { ttlMs: 1_500, renewMs: 150 };

describe('two replicas on one PostgreSQL database', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let a: OrchestratorHarness;
  let b: OrchestratorHarness;

  const env = () => ({
    DATABASE_URL: database.url,
    POLL_INTERVAL_MS: '250',
    LEADER_LEASE_TTL_MS: String(LEASE.ttlMs),
    LEADER_LEASE_RENEW_MS: String(LEASE.renewMs),
  });
  /** The intake cycle's listing of tickets, as each replica's Linear emulator saw it. */
  const listings = (h: OrchestratorHarness) => h.linear.operations.filter((op) => op.rootFields.includes('issues')).length;

  beforeAll(async () => {
    database = await createTestDatabase();
    a = await startHarness(env());
    a.linear.store.addTeam({ key: 'ENG' });
    await a.addMapping({ teamKey: 'ENG', owner: 'acme', repo: 'app', defaultBranch: 'main', executionMode: 'github-actions', agentRuntime: 'claude-code', provider: 'anthropic' });
    b = await startHarness(env());
    b.linear.store.addTeam({ key: 'ENG' });
  }, 60_000);

  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    await database?.drop();
  });

  it('polls on one replica only', async () => {
    await waitFor(() => listings(a) >= 3, 'three cycles on a', 10_000);
    const before = listings(b);
    await sleep(4 * LEASE.renewMs + 500);
    expect(a.orchestrator.services.leadership.isLeader).toBe(true);
    expect(b.orchestrator.services.leadership.isLeader).toBe(false);
    expect(listings(b)).toBe(before);
    expect(before).toBe(0);
    expect(b.orchestrator.services.runLoop.latest).toBeUndefined();
  });

  it('accepts on one replica a session created on the other', async () => {
    const token = await login(a, SECRETS.adminAccessCode);
    const onB = await fetch(`${b.orchestrator.url}/api/mappings`, { headers: { authorization: `Bearer ${token}` } });
    expect(onB.status).toBe(200);
    expect(JSON.stringify(await onB.json())).toContain('"teamKey":"ENG"');
    expect((await fetch(`${b.orchestrator.url}/api/mappings`, { headers: { authorization: `Bearer ${'x'.repeat(43)}` } })).status).toBe(401);
  });

  it('shows progress posted to one replica on the run page stream of the other, without waiting for its poll', async () => {
    const run = await dispatchedRun(a, 'SSE-1');
    const token = await login(a, SECRETS.adminAccessCode);
    const events = new AbortController();
    const stream = await fetch(`${b.orchestrator.url}/admin/runs/${run.id}/events`, { headers: { cookie: `ai_implement_admin=${token}` }, signal: events.signal });
    expect(stream.status).toBe(200);
    const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const readUntil = async (needle: string, timeoutMs: number) => {
      const until = Date.now() + timeoutMs;
      while (!text.includes(needle)) {
        const left = until - Date.now();
        if (left <= 0) throw new Error(`no "${needle}" on b's stream within ${timeoutMs} ms: ${text.slice(-500)}`);
        const chunk = await Promise.race([reader.read(), sleep(left).then(() => undefined)]);
        if (chunk?.value) text += chunk.value;
        if (chunk?.done) throw new Error(`b's stream ended: ${text.slice(-500)}`);
      }
    };
    try {
      await readUntil('event: progress', 5_000);
      const { progressToken } = a.orchestrator.services.tokens!.mint(run.id, run.attempt, run.deadlineAt!);
      const posted = await fetch(`${a.orchestrator.url}/runner/progress`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${progressToken}` },
        body: JSON.stringify({ runId: run.id, attempt: run.attempt, steps: [{ id: 'replica-step', type: 'shell', status: 'running' }] }),
      });
      expect(posted.status).toBe(200);
      // The stream polls only every 10 s when it has the change feed: within 3 s, only the announcement explains it.
      await readUntil('replica-step', 3_000);
    } finally {
      events.abort();
      await reader.cancel().catch(() => undefined);
    }
  });

  it('spends a runner result token once, whichever replica sees it first', async () => {
    const run = await dispatchedRun(a, 'JTI-1');
    const { resultToken } = a.orchestrator.services.tokens!.mint(run.id, run.attempt, run.deadlineAt!);
    const post = (h: OrchestratorHarness) =>
      fetch(`${h.orchestrator.url}/runner/result`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${resultToken}` },
        body: JSON.stringify({ runId: run.id, attempt: run.attempt, outcome: 'failed', failureReason: 'stopped by the test' }),
      });
    const first = await post(b);
    expect(first.status).toBe(200);
    const replay = await post(a);
    expect(replay.status).toBe(409);
    expect(JSON.stringify(await replay.json())).toContain('token_replayed');
  });

  it('throttles wrong logins that alternate between the replicas', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const h = i % 2 === 0 ? a : b;
      const res = await fetch(`${h.orchestrator.url}/api/auth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: `wrong-code-${i}-padding-padding` }) });
      statuses.push(res.status);
    }
    // Five failures per address and minute, counted together: a per-replica count would allow ten.
    expect(statuses).toEqual([403, 403, 403, 403, 403, 429, 429, 429, 429, 429]);
  });

  it('hands the periodic jobs to the other replica within a lease when the leader stops renewing', async () => {
    expect(a.orchestrator.services.leadership.isLeader).toBe(true);
    // Killed, not stopped: the lease is not given back, it has to run out.
    await a.orchestrator.coordination.close();
    const cut = Date.now();
    await waitFor(() => b.orchestrator.services.leadership.isLeader, 'b to take the lead', LEASE.ttlMs + 2 * LEASE.renewMs + 1_000);
    expect(Date.now() - cut).toBeLessThanOrEqual(LEASE.ttlMs + 2 * LEASE.renewMs + 500);
    await waitFor(() => b.orchestrator.services.runLoop.latest !== undefined && listings(b) >= 2, 'b to run full cycles', 5_000);
    await waitFor(() => !a.orchestrator.services.leadership.isLeader, 'a to notice it lost the lead', 2_000);
    const aListings = listings(a);
    await sleep(1_000);
    expect(listings(a)).toBe(aListings);
  });
});

async function login(h: OrchestratorHarness, code: string): Promise<string> {
  const res = await fetch(`${h.orchestrator.url}/api/auth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

/** A run as a dispatch leaves it, written straight into the shared store. */
async function dispatchedRun(h: OrchestratorHarness, issueId: string): Promise<Run> {
  const store = h.orchestrator.store;
  const deadlineAt = new Date(h.clock() + 3_600_000).toISOString();
  const claim = await store.runs.claimTicket({ ...intent({ issueId, identifier: issueId, mappingKey: 'ENG', backend: 'github-actions' }), status: 'claimed', deadlineAt });
  if (!claim.claimed) throw new Error('not claimed');
  return store.runs.updateRun(claim.run.id, { status: 'launching', upstreamId: '1' }, { expectStatus: 'claimed' });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitFor(check: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}
