import { randomUUID } from 'node:crypto';
import type { InboxDelivery } from '../../../src/domain/inbox-delivery.js';
import { parseMapping } from '../../../src/domain/mapping-schema.js';
import type { Run } from '../../../src/domain/run.js';
import { GitHubAppClient } from '../../../src/github/api/github-app-client.js';
import { createGitHubIntegration, type GitHubIntegration } from '../../../src/github/create-github-integration.js';
import { claimAndDispatch } from '../../../src/orchestrator/claim-and-dispatch.js';
import type { EngineStore } from '../../../src/store/core/engine-store.js';
import { createMemoryStore } from '../../../src/store/memory/create-memory-store.js';
import { GitHubEmulator } from '../../../src/sandbox/github/index.js';
import { LinearEmulator } from '../../../src/sandbox/linear/index.js';
import { createTrackers, type Trackers } from '../../../src/trackers/create-trackers.js';
import { createTestLogger } from '../../support/test-logger.js';
import { ManualTimers, RecordingBackend, repoTarget } from './github-scenario.js';
import type { RepoTarget } from './webhook-payloads.js';
import { auditGitHub, auditLinear, expectTrueToVendor } from '../../support/vendor-fidelity/vendor-audits.js';

/**
 * The GitHub integration at unit level: the real Probot app and handlers
 * against the GitHub and Linear emulators, a memory store, hand-fired timers
 * and a moved clock. `deliver` is what the inbox worker would call.
 */
export interface GitHubAppFixture {
  github: GitHubEmulator;
  linear: LinearEmulator;
  store: EngineStore;
  trackers: Trackers;
  integration: GitHubIntegration;
  backend: RecordingBackend;
  timers: ManualTimers;
  /** Run ids handed to dispatch, in order. */
  dispatched: string[];
  web: RepoTarget;
  advance: (ms: number) => void;
  now: () => number;
  addMapping: (input: Record<string, unknown>) => Promise<void>;
  deliver: (name: string, payload: unknown, id?: string) => Promise<void>;
  runs: () => Promise<Run[]>;
  stop: () => Promise<void>;
}

export async function startGitHubAppFixture(options: { debounceMs?: number } = {}): Promise<GitHubAppFixture> {
  let offset = 0;
  const now = () => Date.now() + offset;
  const github = new GitHubEmulator();
  const linear = new LinearEmulator();
  const audits = { github: auditGitHub(github.server), linear: auditLinear(linear.server) };
  await Promise.all([github.start(), linear.start()]);
  github.state.addRepo({ owner: 'acme', name: 'web' });
  linear.store.addTeam({ key: 'ENG' });
  const store = createMemoryStore({ clock: now });
  await store.open();
  const { log } = createTestLogger(undefined, 'silent');
  const client = new GitHubAppClient({ appId: github.appId, privateKey: github.privateKeyPem, baseUrl: github.gheBaseUrl, log });
  const trackers = createTrackers({ linear: { apiKey: linear.apiKey, apiUrl: linear.apiUrl } });
  const backend = new RecordingBackend('github-actions');
  const timers = new ManualTimers();
  const dispatched: string[] = [];
  // Stands in for the dispatcher: records the call and moves the run on as a backend answer would.
  const dispatch = async (runId: string) => {
    dispatched.push(runId);
    await store.runs.updateRun(runId, { status: 'launching', upstreamId: `up-${runId}` }, { expectStatus: 'claimed' });
  };
  const starts = { store, trackers, clock: now, log, dedupWindowMs: 24 * 3_600_000, runnerMode: async () => 'default' as const, dispatch: () => dispatch, dispatchDisabled: undefined, runUrl: (id: string) => id };
  const integration = createGitHubIntegration({
    store,
    trackers,
    clock: now,
    log,
    github: client,
    settle: { store, trackers, clock: now, log, retryLimit: 2, dedupWindowMs: 24 * 3_600_000 },
    backends: { 'github-actions': backend },
    startRun: (intent) => claimAndDispatch(starts, intent),
    timers,
    ...(options.debounceMs !== undefined ? { reviewDebounceMs: options.debounceMs } : {}),
  });
  integration.start();
  const handler = integration.handler;
  if (!handler) throw new Error('no GitHub handler');

  return {
    github,
    linear,
    store,
    trackers,
    integration,
    backend,
    timers,
    dispatched,
    web: repoTarget(github.state, 'acme', 'web'),
    advance: (ms) => {
      offset += ms;
    },
    now,
    addMapping: async (input) => {
      const parsed = parseMapping({ owner: 'acme', repo: 'web', defaultBranch: 'main', ...input }, new Date(now()).toISOString());
      if (!parsed.ok) throw new Error(`bad mapping: ${JSON.stringify(parsed.problems)}`);
      await store.mappings.upsert(parsed.mapping);
    },
    deliver: (name, payload, id = randomUUID()) => {
      const delivery: InboxDelivery = { id, source: 'github', event: name, payload, receivedAt: new Date(now()).toISOString(), status: 'leased', attempts: 1 };
      return handler(delivery);
    },
    runs: async () => (await store.runs.listRuns({ limit: 500 })).items,
    stop: async () => {
      integration.stop();
      await store.close();
      await Promise.all([github.stop(), linear.stop()]);
      expectTrueToVendor(audits.github, 'GitHub');
      expectTrueToVendor(audits.linear, 'Linear');
    },
  };
}
