import { access } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { GitHubEmulator } from '../src/sandbox/github/index.js';
import { LinearEmulator } from '../src/sandbox/linear/index.js';
import { createTestDatabase } from '../test/store/postgres-test-db.js';
import { spawnServer, type SpawnedServer } from '../test/support/spawn-server.js';
import { percentile, type BenchTable } from './bench-table.js';

const ACCESS_CODE = 'replicas-bench-access-code-0000';
const LINEAR_SECRET = 'replicas-bench-linear-secret';
/** GitHub's workflow-dispatch call takes about this long; the emulator is made to take as long. */
const DISPATCH_LATENCY_MS = Number(process.env['BENCH_DISPATCH_LATENCY_MS'] ?? 150);
const TICKETS = Number(process.env['BENCH_REPLICA_TICKETS'] ?? 200);
const PER_TEAM = 100;

interface FleetResult {
  replicas: number;
  seconds: number;
  perSecond: number;
  ackP50: number;
  ackP99: number;
}

/**
 * Dispatch throughput of 1, 2 and 3 orchestrator processes (`dist/`, as in
 * production) on one fresh PostgreSQL database: TICKETS eligible Linear
 * tickets, each named by one signed webhook sent round-robin to the replicas;
 * the clock runs from the first webhook to the last run recorded as
 * dispatched. The webhook acknowledgement times are measured on the same
 * sends.
 */
export async function runReplicasBench(): Promise<BenchTable> {
  const root = process.cwd();
  await access(path.join(root, 'dist/src/main.js')).catch(() => {
    throw new Error(`${root}/dist/src/main.js is missing: run npm run build first`);
  });
  const results: FleetResult[] = [];
  for (const replicas of [1, 2, 3]) results.push(await runFleet(replicas));
  const one = results[0]!.perSecond;
  const three = results[2]!;
  return {
    title: `Dispatch throughput by replica count (PostgreSQL, ${TICKETS} tickets, ${DISPATCH_LATENCY_MS} ms per dispatch call)`,
    columns: ['replicas', 'time to dispatch all (s)', 'dispatches/s', 'vs 1 replica', 'webhook ack p50 (ms)', 'webhook ack p99 (ms)'],
    rows: results.map((r) => [r.replicas, r.seconds, r.perSecond, `${(r.perSecond / one).toFixed(2)}×`, r.ackP50, r.ackP99]),
    notes: [
      `Each replica is \`node dist/src/main.js\` with its own port, all on one database and one set of emulators (in the bench process); every webhook is acknowledged before it is handled (shared inbox), and the replica that leases it claims and dispatches.`,
      `Target: 3 replicas ≥ 2.5× one — ${three.perSecond / one >= 2.5 ? 'met' : `not met (${(three.perSecond / one).toFixed(2)}×)`}. Machine: ${process.env['BENCH_MACHINE'] ?? '2 shared CPU cores'}.`,
    ],
  };
}

async function runFleet(count: number): Promise<FleetResult> {
  const database = await createTestDatabase();
  const github = new GitHubEmulator();
  const linear = new LinearEmulator({ requestsLimit: 1_000_000 });
  const servers: SpawnedServer[] = [];
  const db = new pg.Client({ connectionString: database.url });
  try {
    await db.connect();
    await Promise.all([github.start(), linear.start()]);
    linear.store.addLabel({ name: 'AI-Implement', team: null });
    const teams = Array.from({ length: Math.ceil(TICKETS / PER_TEAM) }, (_, i) => `B${String.fromCharCode(65 + i)}`);
    for (const team of teams) {
      linear.store.addTeam({ key: team });
      const repo = team.toLowerCase();
      github.state.addRepo({ owner: 'acme', name: repo, defaultBranch: 'main', files: { 'README.md': `# ${repo}\n` } });
      github.state.addWorkflow('acme', repo, { file: 'claude-implement.yml', name: 'AI-Implement', runName: 'AI-Implement ${{ inputs.run_id }}', inputs: { run_id: { required: true }, orchestrator_url: { required: true } } });
    }
    const env: Record<string, string> = {
      DATABASE_URL: database.url,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ...github.probotEnv,
      GITHUB_WEBHOOK_SECRET: 'replicas-bench-github-secret',
      LINEAR_API_KEY: linear.apiKey,
      LINEAR_API_URL: linear.apiUrl,
      LINEAR_WEBHOOK_SECRET: LINEAR_SECRET,
      RUNNER_TOKEN_SECRET: 'b'.repeat(48),
      SECRETS_ENCRYPTION_KEY: Buffer.alloc(32, 5).toString('base64'),
      ADMIN_ACCESS_CODE: ACCESS_CODE,
      // Webhooks only: the poll would start the same runs on the leader alone.
      POLL_INTERVAL_MS: '3600000',
      NO_PROXY: '127.0.0.1,localhost',
    };
    const urls: string[] = [];
    for (let i = 0; i < count; i++) {
      const server = spawnServer({ ...env, LOG_LEVEL: 'info' });
      servers.push(server);
      const [, url] = await server.waitFor(/"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*orchestrator started/, 120_000);
      urls.push(url!);
    }
    const auth = (await (await fetch(`${urls[0]}/api/auth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: ACCESS_CODE }) })).json()) as { token: string };
    for (const team of teams) {
      const res = await fetch(`${urls[0]}/api/mappings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${auth.token}` },
        body: JSON.stringify({ teamKey: team, owner: 'acme', repo: team.toLowerCase(), defaultBranch: 'main', executionMode: 'github-actions', agentRuntime: 'claude-code', maxInProgressAiIssues: PER_TEAM }),
      });
      if (res.status !== 201) throw new Error(`mapping ${team}: ${res.status} ${await res.text()}`);
    }
    const identifiers: string[] = [];
    for (let n = 0; n < TICKETS; n++) identifiers.push(linear.store.addIssue({ team: teams[Math.floor(n / PER_TEAM)]!, title: `Bench ${n}`, labels: ['AI-Implement'] }).identifier);
    github.server.injectFault({ kind: 'latency', ms: DISPATCH_LATENCY_MS, method: 'POST', path: '/dispatches' });

    const acks: number[] = [];
    const started = performance.now();
    let next = 0;
    const sender = async (): Promise<void> => {
      while (next < identifiers.length) {
        const i = next++;
        const delivery = linear.issueWebhook(identifiers[i]!, { secret: LINEAR_SECRET, updatedFrom: { labelIds: [] } });
        const t0 = performance.now();
        const res = await fetch(`${urls[i % urls.length]}/webhooks/linear`, { method: 'POST', body: delivery.body, headers: delivery.headers });
        acks.push(performance.now() - t0);
        if (res.status !== 200) throw new Error(`webhook ${identifiers[i]}: ${res.status}`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, sender));
    for (;;) {
      const done = await db.query<{ n: string }>(`SELECT count(*) AS n FROM runs WHERE status IN ('launching', 'running')`);
      if (Number(done.rows[0]!.n) >= TICKETS) break;
      if (performance.now() - started > 600_000) throw new Error(`only ${done.rows[0]!.n} of ${TICKETS} dispatched after 10 minutes`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const seconds = (performance.now() - started) / 1000;
    const workflowRuns = new Set(github.state.runs.map((r) => String(r.inputs.run_id)));
    if (workflowRuns.size !== TICKETS || github.state.runs.length !== TICKETS) throw new Error(`expected ${TICKETS} workflow runs, found ${github.state.runs.length} for ${workflowRuns.size} runs`);
    acks.sort((a, b) => a - b);
    return { replicas: count, seconds, perSecond: TICKETS / seconds, ackP50: percentile(acks, 50), ackP99: percentile(acks, 99) };
  } finally {
    for (const server of servers) server.kill();
    await Promise.all(servers.map((s) => s.exited));
    await db.end().catch(() => undefined);
    await Promise.all([github.stop(), linear.stop()]);
    await database.drop();
  }
}
