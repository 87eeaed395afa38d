import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubEmulator } from '../../src/sandbox/github/index.js';
import { LinearEmulator } from '../../src/sandbox/linear/index.js';
import { createTestDatabase } from '../store/postgres-test-db.js';
import { spawnServer, type SpawnedServer } from '../support/spawn-server.js';

const ACCESS_CODE = 'replicas-exactly-once-access-code';
const LINEAR_SECRET = 'replicas-linear-webhook-secret';
const LEASE = { ttlMs: 3_000, renewMs: 1_000 };
const DISPATCH_LEASE_MS = 4_000;
const TEAMS = ['RA', 'RB', 'RC', 'RD', 'RE'];
const PER_TEAM = 100;

/**
 * Issue 20's acceptance: three orchestrator processes (the built server,
 * started as in production) on one fresh PostgreSQL database, one set of
 * emulators, 500 eligible Linear tickets whose webhooks each reach two
 * replicas. Every ticket is dispatched exactly once, counted at the GitHub
 * emulator (workflow dispatches by run id and ticket), also while replicas
 * are SIGKILLed mid-dispatch and restarted; and the periodic jobs move to
 * another replica within their lease when the leader is killed.
 */
describe('three replica processes on one database: exactly-once dispatch', () => {
  const github = new GitHubEmulator();
  const linear = new LinearEmulator({ requestsLimit: 1_000_000 });
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: pg.Client;
  const replicas: Array<{ server: SpawnedServer; url: string }> = [];
  const everyServer: SpawnedServer[] = [];

  const env = (): Record<string, string> => ({
    DATABASE_URL: database.url,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    ...github.probotEnv,
    GITHUB_WEBHOOK_SECRET: 'replicas-github-webhook-secret',
    LINEAR_API_KEY: linear.apiKey,
    LINEAR_API_URL: linear.apiUrl,
    LINEAR_WEBHOOK_SECRET: LINEAR_SECRET,
    RUNNER_TOKEN_SECRET: 'r'.repeat(48),
    SECRETS_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    ADMIN_ACCESS_CODE: ACCESS_CODE,
    POLL_INTERVAL_MS: '2000',
    LEADER_LEASE_TTL_MS: String(LEASE.ttlMs),
    LEADER_LEASE_RENEW_MS: String(LEASE.renewMs),
    DISPATCH_LEASE_MS: String(DISPATCH_LEASE_MS),
    DISPATCH_RETRY_BACKOFF_MS: '0',
    NO_PROXY: '127.0.0.1,localhost',
  });

  async function startReplica(): Promise<{ server: SpawnedServer; url: string }> {
    const server = spawnServer(env());
    everyServer.push(server);
    const [, url] = await server.waitFor(/"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*orchestrator started/, 120_000);
    return { server, url: url! };
  }

  /** The replica holding the periodic-jobs lease now (its replica id starts with its pid). */
  async function leaderIndex(): Promise<number | undefined> {
    const found = await db.query<{ holder: string; expires_at: Date }>(`SELECT holder, expires_at FROM leases WHERE name = 'periodic-jobs'`);
    const row = found.rows[0];
    if (!row || row.expires_at.getTime() <= Date.now()) return undefined;
    const index = replicas.findIndex((r) => row.holder.startsWith(`${r.server.child.pid}-`));
    return index >= 0 ? index : undefined;
  }

  /** Workflow dispatches at the emulator, by run id, and the ticket of each run. */
  async function dispatchesByTicket(): Promise<{ perRun: Map<string, number>; perTicket: Map<string, number> }> {
    const perRun = new Map<string, number>();
    for (const wr of github.state.runs) {
      const runId = String(wr.inputs.run_id);
      perRun.set(runId, (perRun.get(runId) ?? 0) + 1);
    }
    const runs = await db.query<{ id: string; identifier: string }>(`SELECT id, run->>'identifier' AS identifier FROM runs`);
    const ticketOf = new Map(runs.rows.map((r) => [r.id, r.identifier]));
    const perTicket = new Map<string, number>();
    for (const [runId, n] of perRun) {
      const ticket = ticketOf.get(runId) ?? `unknown run ${runId}`;
      perTicket.set(ticket, (perTicket.get(ticket) ?? 0) + n);
    }
    return { perRun, perTicket };
  }

  /** Posts a ticket's signed webhook to two different replicas (the same delivery: the second is a duplicate). */
  async function deliverTwice(identifier: string, i: number): Promise<void> {
    const delivery = linear.issueWebhook(identifier, { secret: LINEAR_SECRET, updatedFrom: { labelIds: [] } });
    for (const offset of [0, 1]) {
      // A replica killed meanwhile refuses the connection; the sender tries the next one, as Linear retries.
      for (let tries = 0; tries < replicas.length * 3; tries++) {
        const target = replicas[(i + offset + tries) % replicas.length]!;
        const ok = await fetch(`${target.url}/webhooks/linear`, { method: 'POST', body: delivery.body, headers: delivery.headers })
          .then((res) => res.status === 200)
          .catch(() => false);
        if (ok) break;
        await sleep(100);
      }
    }
  }

  async function seedTeam(team: string): Promise<string[]> {
    const identifiers: string[] = [];
    for (let n = 0; n < PER_TEAM; n++) identifiers.push(linear.store.addIssue({ team, title: `Ticket ${team}-${n + 1}`, labels: ['AI-Implement'] }).identifier);
    return identifiers;
  }

  async function waitForDispatched(identifiers: readonly string[], timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const done = await db.query<{ n: string }>(
        `SELECT count(*) AS n FROM runs WHERE status IN ('launching', 'running') AND run->>'identifier' = ANY($1::text[])`,
        [identifiers],
      );
      if (Number(done.rows[0]!.n) === identifiers.length) return;
      if (Date.now() > until) {
        const states = await db.query<{ status: string; attempt: string; n: string }>(
          `SELECT status, attempt::text, count(*) AS n FROM runs WHERE run->>'identifier' = ANY($1::text[]) GROUP BY 1, 2`,
          [identifiers],
        );
        const inbox = await db.query<{ status: string; n: string }>(`SELECT status, count(*) AS n FROM inbox GROUP BY 1`);
        throw new Error(`only ${done.rows[0]!.n} of ${identifiers.length} tickets dispatched after ${timeoutMs} ms; runs ${JSON.stringify(states.rows)}; inbox ${JSON.stringify(inbox.rows)}`);
      }
      await sleep(250);
    }
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    db = new pg.Client({ connectionString: database.url });
    await db.connect();
    await Promise.all([github.start(), linear.start()]);
    linear.store.addLabel({ name: 'AI-Implement', team: null });
    for (const team of TEAMS) {
      linear.store.addTeam({ key: team });
      const repo = team.toLowerCase();
      github.state.addRepo({ owner: 'acme', name: repo, defaultBranch: 'main', files: { 'README.md': `# ${repo}\n` } });
      github.state.addWorkflow('acme', repo, {
        file: 'claude-implement.yml',
        name: 'AI-Implement',
        runName: 'AI-Implement ${{ inputs.run_id }}',
        inputs: { run_id: { required: true }, orchestrator_url: { required: true } },
      });
    }
    for (let i = 0; i < 3; i++) replicas.push(await startReplica());
    const auth = (await (await fetch(`${replicas[0]!.url}/api/auth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: ACCESS_CODE }) })).json()) as { token: string };
    for (const team of TEAMS) {
      const created = await fetch(`${replicas[0]!.url}/api/mappings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${auth.token}` },
        body: JSON.stringify({ teamKey: team, owner: 'acme', repo: team.toLowerCase(), defaultBranch: 'main', executionMode: 'github-actions', agentRuntime: 'claude-code', maxInProgressAiIssues: PER_TEAM }),
      });
      expect(created.status).toBe(201);
    }
  }, 120_000);

  afterAll(async () => {
    for (const server of everyServer) server.kill();
    await Promise.all(everyServer.map((s) => s.exited));
    await db?.end();
    await Promise.all([github.stop(), linear.stop()]);
    await database?.drop();
  });

  it('dispatches 300 tickets exactly once with every webhook delivered to two replicas', async () => {
    const identifiers = (await Promise.all(TEAMS.slice(0, 3).map(seedTeam))).flat();
    await inBatches(identifiers, 16, deliverTwice);
    await waitForDispatched(identifiers, 90_000);
    const { perRun, perTicket } = await dispatchesByTicket();
    expect([...perRun.values()].filter((n) => n > 1)).toEqual([]);
    expect(perTicket.size).toBe(300);
    expect([...perTicket.values()].every((n) => n === 1)).toBe(true);
  }, 150_000);

  it('still dispatches every further ticket exactly once while replicas are SIGKILLed mid-dispatch and restarted 10 times', async () => {
    // Dispatch calls take 250 ms, so kills land while calls are open (some of them already applied upstream).
    github.server.injectFault({ kind: 'latency', ms: 250, method: 'POST', path: '/dispatches' });
    const identifiers = (await Promise.all(TEAMS.slice(3).map(seedTeam))).flat();
    const delivering = inBatches(identifiers, 4, deliverTwice);
    let killedMidCall = 0;
    for (let k = 0; k < 10; k++) {
      await sleep(700);
      const victim = k % replicas.length;
      const openCalls = github.server.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/dispatches') && r.outcome === 0).length;
      if (openCalls > 0) killedMidCall++;
      replicas[victim]!.server.kill();
      await replicas[victim]!.server.exited;
      replicas[victim] = await startReplica();
    }
    await delivering;
    // A webhook whose evaluation died with its replica is left to the leader's poll, and a new leader first
    // recovers (looks up every live run at the backend): this can take a while on a loaded machine.
    await waitForDispatched(identifiers, 240_000);
    github.server.clearFaults();
    const { perRun, perTicket } = await dispatchesByTicket();
    expect([...perRun.values()].filter((n) => n > 1)).toEqual([]);
    expect(perTicket.size).toBe(500);
    expect([...perTicket.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    expect(killedMidCall).toBeGreaterThan(0);
  }, 600_000);

  it('moves the poller to another replica within the lease time when the leader is SIGKILLed', async () => {
    const leader = await waitUntil(leaderIndex, 10_000, 'a leader');
    const listings = () => linear.operations.filter((op) => op.rootFields.includes('issues')).length;
    replicas[leader]!.server.kill();
    const killedAt = Date.now();
    await replicas[leader]!.server.exited;
    const next = await waitUntil(async () => {
      const index = await leaderIndex();
      return index !== undefined && index !== leader ? index : undefined;
    }, LEASE.ttlMs + 3 * LEASE.renewMs, 'another replica to take the lease');
    const tookOver = Date.now() - killedAt;
    expect(tookOver).toBeLessThanOrEqual(LEASE.ttlMs + 2 * LEASE.renewMs + 1_000);
    // And it polls: the new leader's full cycle lists the tickets.
    const before = listings();
    // (It first recovers: every live run left from before it started is looked up at the backend.)
    await waitUntil(async () => (listings() > before ? true : undefined), 60_000, 'the new leader to poll');
    expect(next).not.toBe(leader);
    console.log(`leader takeover after SIGKILL: ${tookOver} ms (lease ${LEASE.ttlMs} ms, renewal every ${LEASE.renewMs} ms)`);
  }, 120_000);
});

async function inBatches<T>(items: readonly T[], size: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: size }, worker));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitUntil<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}
