import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { startOrchestrator, type RunningOrchestrator } from '../../src/app.js';
import { parseMapping } from '../../src/domain/mapping-schema.js';
import type { Run } from '../../src/domain/run.js';
import { isTerminal } from '../../src/domain/run-status.js';
import type { IntakeCycleResult } from '../../src/orchestrator/intake-cycle.js';
import { FlyEmulator } from '../../src/sandbox/fly/index.js';
import { GitHubEmulator } from '../../src/sandbox/github/index.js';
import { JiraEmulator } from '../../src/sandbox/jira/index.js';
import { LinearEmulator } from '../../src/sandbox/linear/index.js';

export const SECRETS = {
  runnerToken: 'r'.repeat(48),
  githubWebhook: 'github-webhook-secret',
  linearWebhook: 'linear-webhook-secret',
  jiraWebhook: 'jira-webhook-secret',
  adminAccessCode: 'harness-admin-access-code',
  /** 32 bytes as base64: the secrets broker's key. */
  secretsKey: Buffer.alloc(32, 7).toString('base64'),
};

/**
 * The whole orchestrator, booted through the real composition root with its
 * real SDK clients pointed at the four loopback emulators (not sandbox mode:
 * the test owns the emulators and their data). The clock can be moved to
 * test windows and back-offs without sleeping; intake runs when the test says.
 */
export interface OrchestratorHarness {
  orchestrator: RunningOrchestrator;
  github: GitHubEmulator;
  linear: LinearEmulator;
  jira: JiraEmulator;
  fly: FlyEmulator;
  /** Every line the orchestrator logged (at the harness's LOG_LEVEL), across restarts. */
  logLines: string[];
  advance: (ms: number) => void;
  /** The moved clock the orchestrator, Linear, Jira and Fly read (GitHub keeps real time). */
  clock: () => number;
  addMapping: (input: Record<string, unknown>) => Promise<void>;
  /** `acme/<name>` on the GitHub emulator with the implement workflow installed, as the workflow sync leaves a repository. */
  addActionsRepo: (name: string, files?: Record<string, string>) => void;
  cycle: () => Promise<IntakeCycleResult>;
  runsOf: (identifierOrId: string) => Promise<Run[]>;
  waitForRun: (predicate: (run: Run) => boolean, timeoutMs?: number) => Promise<Run>;
  waitForTerminal: (runId: string, timeoutMs?: number) => Promise<Run>;
  /** Stops the orchestrator (its local runner processes stay behind, as after a crash) and boots a new one on the same data directory and emulators. */
  restart: () => Promise<void>;
  stop: () => Promise<void>;
}

export interface HarnessOptions {
  /**
   * GitHub installation tokens are issued and expire on the moved clock too
   * (REST and git over HTTP), so a test can outlive a token's hour. Off by
   * default: Probot caches the tokens it mints itself on real time.
   */
  githubTokensOnMovedClock?: boolean;
  /** The Linear emulator's hourly request budget (Linear's own, 5,000, when unset). */
  linearRequestsLimit?: number;
  /**
   * GitHub Actions jobs can exchange id tokens: the orchestrator listens on a
   * port chosen up front and knows it as RUNNER_CALLBACK_BASE_URL (the id
   * token's audience), and the GitHub emulator is the OIDC issuer Enterprise
   * Server is (`/_services/token`), as the orchestrator derives from GHE_HOST.
   */
  actionsOidc?: boolean;
}

/** A port free right now (the orchestrator binds it a moment later). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startHarness(extraEnv: Record<string, string> = {}, options: HarnessOptions = {}): Promise<OrchestratorHarness> {
  let offset = 0;
  const clock = () => Date.now() + offset;
  // Linear, Jira and Fly share the moved clock (webhook timestamps agree across a jump). GitHub
  // keeps real time: Probot signs App JWTs with the real clock, as it would in production.
  const now = () => new Date(clock());
  const github = new GitHubEmulator({ ...(options.githubTokensOnMovedClock ? { tokenNow: now } : {}), ...(options.actionsOidc ? { oidcIssuerPath: '/_services/token' } : {}) });
  const port = options.actionsOidc ? await freePort() : 0;
  const linear = new LinearEmulator({ now, ...(options.linearRequestsLimit !== undefined ? { requestsLimit: options.linearRequestsLimit } : {}) });
  const jira = new JiraEmulator({ now });
  const fly = new FlyEmulator({ apps: ['ai-implement-sessions'], now });
  await Promise.all([github.start(), linear.start(), jira.start(), fly.start()]);
  const dataDir = mkdtempSync(join(tmpdir(), 'ai-implement-e2e-'));
  const logLines: string[] = [];
  const boot = () => startOrchestrator({
    env: {
      DATA_DIR: dataDir,
      PORT: String(port),
      ...(port ? { RUNNER_CALLBACK_BASE_URL: `http://127.0.0.1:${port}` } : {}),
      HOST: '127.0.0.1',
      LOG_LEVEL: process.env.HARNESS_LOG ? 'debug' : 'warn',
      ...github.probotEnv,
      GITHUB_WEBHOOK_SECRET: SECRETS.githubWebhook,
      LINEAR_API_KEY: linear.apiKey,
      LINEAR_API_URL: linear.apiUrl,
      LINEAR_WEBHOOK_SECRET: SECRETS.linearWebhook,
      JIRA_HOST: jira.url,
      JIRA_EMAIL: jira.email,
      JIRA_API_TOKEN: jira.apiToken,
      JIRA_WEBHOOK_SECRET: SECRETS.jiraWebhook,
      FLY_API_TOKEN: fly.token,
      FLY_API_URL: fly.apiUrl,
      FLY_GRAPHQL_URL: fly.graphqlUrl,
      RUNNER_TOKEN_SECRET: SECRETS.runnerToken,
      SECRETS_ENCRYPTION_KEY: SECRETS.secretsKey,
      // Intake runs when a test calls `cycle()` (or a webhook asks), not on a timer.
      POLL_INTERVAL_MS: '86400000',
      NO_PROXY: '127.0.0.1,localhost',
      // The operator API is on unless a test passes ADMIN_ACCESS_CODE: '' (unset).
      ADMIN_ACCESS_CODE: SECRETS.adminAccessCode,
      ...extraEnv,
    },
    clock,
    // HARNESS_LOG=1 shows the orchestrator's log when a test needs a closer look.
    logDestination: new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        if (process.env.HARNESS_LOG) process.stderr.write(chunk);
        done();
      },
    }),
    print: () => undefined,
  });
  const orchestrator = await boot();
  const store = () => harness.orchestrator.store;
  const poller = () => harness.orchestrator.services.runLoop;

  const harness: OrchestratorHarness = {
    orchestrator,
    github,
    linear,
    jira,
    fly,
    logLines,
    advance: (ms) => {
      offset += ms;
    },
    clock,
    addActionsRepo: (name, files = { 'README.md': `# ${name}\n` }) => {
      github.state.addRepo({ owner: 'acme', name, defaultBranch: 'main', files });
      github.state.addWorkflow('acme', name, {
        file: 'claude-implement.yml',
        name: 'AI-Implement',
        runName: 'AI-Implement ${{ inputs.run_id }}',
        inputs: { run_id: { required: true }, orchestrator_url: { required: true } },
      });
    },
    addMapping: async (input) => {
      const parsed = parseMapping(input, new Date(clock()).toISOString());
      if (!parsed.ok) throw new Error(`bad test mapping: ${JSON.stringify(parsed.problems)}`);
      await store().mappings.upsert(parsed.mapping);
    },
    cycle: async () => {
      const result = await poller().runNow();
      if (!result) throw new Error('no cycle result');
      return result;
    },
    runsOf: async (identifierOrId) => (await store().runs.listRuns({ limit: 100 })).items.filter((r) => r.identifier === identifierOrId || r.issueId === identifierOrId),
    waitForRun: async (predicate, timeoutMs = 5_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = (await store().runs.listRuns({ limit: 200 })).items.find(predicate);
        if (found) return found;
        if (Date.now() > deadline) throw new Error('timed out waiting for a run');
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    waitForTerminal: async (runId, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const run = await store().runs.getRun(runId);
        if (run && isTerminal(run.status)) return run;
        if (Date.now() > deadline) throw new Error(`run ${runId} did not finish (status ${run?.status})`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    restart: async () => {
      await harness.orchestrator.stop();
      harness.orchestrator = await boot();
    },
    stop: async () => {
      await harness.orchestrator.stop();
      await Promise.all([github.stop(), linear.stop(), jira.stop(), fly.stop()]);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}
