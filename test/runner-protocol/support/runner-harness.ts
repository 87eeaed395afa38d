import { afterEach } from 'vitest';
import { buildMapping } from '../../support/test-mapping.js';
import { SecretRegistry } from '../../../src/config/index.js';
import type { Mapping } from '../../../src/domain/mapping.js';
import type { Run, RunPhase } from '../../../src/domain/run.js';
import { createHttpApp } from '../../../src/http/create-http-app.js';
import { HttpMetrics } from '../../../src/http/http-metrics.js';
import { createRunnerRoutes } from '../../../src/http/runner-routes.js';
import { createRunSecretsHandout } from '../../../src/orchestrator/hand-out-secrets.js';
import { createSecretBox } from '../../../src/operations/secret-box.js';
import { createSecretsService, type SecretsService } from '../../../src/operations/secrets-service.js';
import { startHttpServer, type StartedServer } from '../../../src/http/start-http-server.js';
import { createRunFinisher } from '../../../src/orchestrator/finish-run.js';
import { createJobSpecBuilder } from '../../../src/orchestrator/job-spec.js';
import { createOidcExchange } from '../../../src/orchestrator/oidc-exchange.js';
import { createPendingTicketWrites, type PendingTicketWrites } from '../../../src/orchestrator/pending-ticket-writes.js';
import { createProgressRecorder, createRunStatusPublisher } from '../../../src/orchestrator/record-progress.js';
import { createGitHubTokenRefresher } from '../../../src/orchestrator/refresh-github-token.js';
import { createRunnerTokens, type RunnerTokens } from '../../../src/orchestrator/runner-tokens.js';
import { createMemoryStore } from '../../../src/store/memory/create-memory-store.js';
import type { Store } from '../../../src/store/store.js';
import { createTestLogger } from '../../support/test-logger.js';
import { FakeTracker } from './fake-tracker.js';

export const SECRET = 'test-runner-secret-0123456789abcdef-long-enough';
export const MAPPING_SECRET = 'sk-mapping-secret-value-42';
/** Where the runs' pull requests live (what `resultBody` reports). */
export const GITHUB_WEB_URL = 'https://github.com';

/** A settable clock shared by the store, the services and (in OIDC tests) the emulator. */
export class TestClock {
  constructor(public nowMs = Date.parse('2025-06-01T12:00:00.000Z')) {}
  readonly now = (): number => this.nowMs;
  advance(ms: number): void {
    this.nowMs += ms;
  }
}

export function demoMapping(overrides: Partial<Mapping> = {}): Mapping {
  return buildMapping({ workflowFile: 'ai-implement.yml', planningEnabled: true, extraEnv: { NODE_ENV: 'test' }, ...overrides });
}

export interface HarnessOptions {
  /** `null` leaves RUNNER_TOKEN_SECRET unset (routes answer 501). */
  secret?: string | null;
  clock?: TestClock;
  throttleMs?: number;
  ratePerMinute?: number;
  oidc?: { issuer: string; audience: string };
  store?: Store;
  afterFinish?: (run: Run) => Promise<void>;
}

export interface Harness {
  url: string;
  store: Store;
  clock: TestClock;
  tokens: RunnerTokens | undefined;
  linear: FakeTracker;
  jira: FakeTracker;
  pending: PendingTicketWrites;
  repoTokenRequests: string[];
  lines: string[];
  /** The redactor every service of this harness shares. */
  secrets: SecretRegistry;
  close(): Promise<void>;
  seedRun(options?: { id?: string; phase?: RunPhase; status?: Run['status']; upstreamId?: string; shadowOf?: string; issueId?: string; backend?: Run['backend'] }): Promise<Run>;
  /** The secrets broker the `/runner/secrets` route hands out from. */
  broker: SecretsService;
  mint(run: Run): { progressToken: string; resultToken: string };
  post(path: string, token: string | undefined, body: unknown): Promise<Response>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const clock = options.clock ?? new TestClock();
  const store = options.store ?? createMemoryStore({ clock: clock.now });
  if (!store.isOpen) await store.open();
  const secrets = new SecretRegistry();
  secrets.register(MAPPING_SECRET);
  const redact = (text: string): string => secrets.redact(text);
  const { log, lines } = createTestLogger(secrets, 'info');
  const linear = new FakeTracker('linear');
  const jira = new FakeTracker('jira');
  const trackers = { linear, jira };
  const secret = options.secret === undefined ? SECRET : options.secret;
  const tokens = secret ? createRunnerTokens({ secrets: { current: { secret } }, clock: clock.now }) : undefined;
  const publisher = createRunStatusPublisher({ store, trackers, clock: clock.now, log, redact, ...(options.throttleMs !== undefined ? { throttleMs: options.throttleMs } : {}) });
  const pending = createPendingTicketWrites({ store, trackers, clock: clock.now, log });
  const repoTokenRequests: string[] = [];
  // An hour from the harness clock, as GitHub mints them.
  const mintRepoToken = async (owner: string, repo: string) => {
    repoTokenRequests.push(`${owner}/${repo}`);
    return { token: `ghs_scoped_${owner}_${repo}`, expiresAt: new Date(clock.now() + 3_600_000).toISOString() };
  };
  // The real broker over the same store, sealed with a test key.
  const broker = createSecretsService({ store, clock: clock.now, box: createSecretBox(Buffer.alloc(32, 3).toString('base64')), registerSecret: secrets.register });
  const router = createRunnerRoutes({
    tokens,
    progress: createProgressRecorder({ store, publisher, clock: clock.now, log, redact, ...(options.ratePerMinute ? { ratePerMinute: options.ratePerMinute } : {}) }),
    finisher: createRunFinisher({ store, pending, publisher, clock: clock.now, log, redact, githubWebUrl: GITHUB_WEB_URL, ...(options.afterFinish ? { afterFinish: options.afterFinish } : {}) }),
    jobSpecs: createJobSpecBuilder({
      store,
      trackers,
      clock: clock.now,
      github: { apiUrl: 'http://github.test/api/v3', webUrl: 'http://github.test' },
      mintRepoToken,
      envFor: (mapping) => ({ ...mapping.extraEnv, API_KEY: MAPPING_SECRET }),
      registerSecret: secrets.register,
    }),
    githubTokens: createGitHubTokenRefresher({ store, log, mintRepoToken, registerSecret: (value) => secrets.register(value) }),
    runSecrets: createRunSecretsHandout({ store, log, valuesFor: (mapping) => broker.valuesFor(mapping) }),
    ...(options.oidc && tokens ? { oidc: createOidcExchange({ store, tokens, clock: clock.now, issuer: options.oidc.issuer, audience: options.oidc.audience }) } : {}),
  });
  const app = createHttpApp({ log, metrics: new HttpMetrics({ defaultMetrics: false }), production: true, version: 'test', isReady: () => true, routers: [router] });
  const server: StartedServer = await startHttpServer(app, { port: 0, host: '127.0.0.1' });
  await store.mappings.upsert(demoMapping());
  let seq = 0;

  return {
    url: server.url,
    store,
    clock,
    tokens,
    linear,
    jira,
    pending,
    repoTokenRequests,
    lines,
    secrets,
    broker,
    async close() {
      await server.close();
      await store.close();
    },
    async seedRun(seed = {}) {
      seq++;
      const issueId = seed.issueId ?? `issue-${seq}`;
      const identifier = `ENG-${100 + seq}`;
      if (!linear.items.has(issueId)) linear.addItem({ id: issueId, identifier, title: 'Add a dark mode toggle to Settings' });
      const claim = await store.runs.claimTicket({
        ...(seed.id ? { id: seed.id } : { id: `run-${seq}` }),
        issueId,
        identifier,
        title: 'Add a dark mode toggle to Settings',
        tracker: 'linear',
        mappingKey: 'ENG',
        phase: seed.phase ?? 'implement',
        backend: seed.backend ?? 'github-actions',
        runnerMode: 'default',
        triggerSource: 'poll',
        deadlineAt: new Date(clock.now() + 60 * 60_000).toISOString(),
        ...(seed.shadowOf ? { shadowOf: seed.shadowOf } : {}),
      });
      if (!claim.claimed) throw new Error('seed claim failed');
      const status = seed.status ?? 'launching';
      if (status === 'claimed') return claim.run;
      return store.runs.updateRun(claim.run.id, { status, upstreamId: seed.upstreamId ?? `9000${seq}` });
    },
    mint(run) {
      if (!tokens) throw new Error('no token service');
      return tokens.mint(run.id, run.attempt, run.deadlineAt ?? new Date(clock.now() + 3_600_000).toISOString());
    },
    post(path, token, body) {
      return fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      });
    },
  };
}

export function resultBody(run: Run, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { runId: run.id, attempt: run.attempt, outcome: 'succeeded', prUrl: 'https://github.com/acme/app/pull/7', prNumber: 7, branch: 'ai-implement/eng-101-x', ...extra };
}

/**
 * A harness starter for one test file: every harness it starts is closed
 * after each test, so a failing test cannot leave a server listening.
 */
export function useHarnesses(): (options?: HarnessOptions) => Promise<Harness> {
  const started: Harness[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((h) => h.close()));
  });
  return async (options = {}) => {
    const h = await startHarness(options);
    started.push(h);
    return h;
  };
}
