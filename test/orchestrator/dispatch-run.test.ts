import type { Octokit } from '@octokit/rest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Mapping } from '../../src/domain/mapping.js';
import { RUNNER_ENV } from '../../src/domain/runner-protocol.js';
import { dispatchDueAt, dispatchDueRuns } from '../../src/orchestrator/dispatch-due-runs.js';
import { dispatchRun, reconcileDispatching } from '../../src/orchestrator/dispatch-run.js';
import { createGitHubActionsBackend } from '../../src/runners/github-actions/create-github-actions-backend.js';
import { createLocalBackend } from '../../src/runners/local/create-local-backend.js';
import { fileURLToPath } from 'node:url';
import type { DispatchRequest, RunnerBackend, UpstreamRun } from '../../src/runners/runner-backend.js';
import type { GitHubEmulator } from '../../src/sandbox/github/index.js';
import { createDispatchHarness } from '../runners/support/dispatch-harness.js';
import { ORCHESTRATOR_URL, startGitHub, testMapping } from '../runners/support/runner-fixtures.js';

/**
 * A backend whose connection dies before the request leaves: no answer, and
 * nothing applied. The dispatcher cannot tell this from a drop-after-apply.
 */
class NoAnswerBackend implements RunnerBackend {
  readonly kind = 'github-actions' as const;
  readonly requests: DispatchRequest[] = [];
  constructor(private readonly inner: RunnerBackend) {}
  async dispatch(request: DispatchRequest): Promise<UpstreamRun> {
    this.requests.push(request);
    throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
  }
  find(runId: string, mapping: Mapping): Promise<UpstreamRun | undefined> {
    return this.inner.find(runId, mapping);
  }
  cancel(upstreamId: string, mapping: Mapping): Promise<void> {
    return this.inner.cancel(upstreamId, mapping);
  }
  listLive(): Promise<UpstreamRun[]> {
    return this.inner.listLive();
  }
}

describe('dispatchRun and reconcileDispatching', () => {
  let github: GitHubEmulator;
  let getOctokit: (owner: string, repo: string) => Promise<Octokit>;
  const mapping = testMapping({ maxJobMinutes: 45 });

  beforeAll(async () => {
    ({ github, getOctokit } = await startGitHub());
  });
  afterEach(() => github.server.clearFaults());
  afterAll(() => github.stop());

  const gha = (): RunnerBackend => createGitHubActionsBackend({ getOctokit });

  it('passes the run env and tokens of this attempt, records the upstream run, and sets the deadline in the intent', async () => {
    const h = await createDispatchHarness(mapping, { 'github-actions': gha() });
    const [run] = await h.claim(1, 'github-actions', 'happy');
    const outcome = await dispatchRun(h.deps, run!.id);
    expect(outcome.kind).toBe('dispatched');
    const stored = await h.store.runs.getRun(run!.id);
    const wr = github.state.runs.find((r) => r.inputs.run_id === run!.id);
    expect(stored).toMatchObject({ status: 'launching', upstreamId: String(wr?.id), attempt: 1 });
    expect(stored?.upstreamUrl).toContain(`/actions/runs/${wr?.id}`);
    expect(Date.parse(stored?.deadlineAt ?? '') - h.deps.clock()).toBe(45 * 60_000);
    expect(h.tokens.minted).toEqual([{ runId: run!.id, attempt: 1, deadlineAt: stored?.deadlineAt }]);
    // A second call finds the run no longer dispatching and posts nothing.
    expect((await dispatchRun(h.deps, run!.id)).kind).toBe('skipped');
    expect(github.state.runs.filter((r) => r.inputs.run_id === run!.id)).toHaveLength(1);
  });

  it('builds the runner env from RUNNER_ENV names', async () => {
    const seen = new NoAnswerBackend(gha());
    const h = await createDispatchHarness(mapping, { 'github-actions': seen }, { API_KEY: 'k' });
    const [run] = await h.claim(1, 'github-actions', 'env');
    await dispatchRun(h.deps, run!.id);
    expect(seen.requests[0]?.env).toEqual({
      [RUNNER_ENV.url]: ORCHESTRATOR_URL,
      [RUNNER_ENV.runId]: run!.id,
      [RUNNER_ENV.attempt]: '1',
      [RUNNER_ENV.progressToken]: `progress-${run!.id}-1`,
      [RUNNER_ENV.resultToken]: `result-${run!.id}-1`,
      // The names of the secrets handed over, never their values.
      [RUNNER_ENV.secretNames]: 'API_KEY',
    });
    expect(seen.requests[0]).toMatchObject({ secrets: { API_KEY: 'k' }, issueIdentifier: 'ENG-0', shadow: false, phase: 'implement' });
  });

  it('leaves a run with no answer and no upstream job in dispatching, and reconciles it once stale', async () => {
    const backend = new NoAnswerBackend(gha());
    const h = await createDispatchHarness(mapping, { 'github-actions': backend });
    const [run] = await h.claim(1, 'github-actions', 'noanswer');
    const outcome = await dispatchRun(h.deps, run!.id);
    expect(outcome.kind).toBe('unresolved');
    expect((await h.store.runs.getRun(run!.id))?.status).toBe('claimed');
    expect(backend.requests).toHaveLength(1);

    h.advance(3 * 60_000);
    const [settled] = await reconcileDispatching(h.deps);
    expect(settled?.kind).toBe('requeued');
    const queued = await h.store.runs.getRun(run!.id);
    expect(queued).toMatchObject({ status: 'retrying', attempt: 2, dispatchNumber: 2 });
    expect(backend.requests).toHaveLength(1);
  });

  it('fails the run when the refusal is permanent (a missing workflow)', async () => {
    const broken = testMapping({ teamKey: 'BRK', workflowFile: 'missing.yml' });
    const h = await createDispatchHarness(broken, { 'github-actions': gha() });
    const [run] = await h.claim(1, 'github-actions', 'broken');
    const outcome = await dispatchRun(h.deps, run!.id);
    expect(outcome.kind).toBe('failed');
    const stored = await h.store.runs.getRun(run!.id);
    expect(stored).toMatchObject({ status: 'failed', failedStep: 'dispatch' });
    expect(stored?.failureReason).toContain('404');
  });

  it('re-queues a retryable refusal with a back-off, and gives up after maxAttempts', async () => {
    const h = await createDispatchHarness(mapping, { 'github-actions': gha() });
    h.deps.policy = { ...h.deps.policy, maxAttempts: 2, baseBackoffMs: 60_000 };
    const [run] = await h.claim(1, 'github-actions', 'backoff');
    github.server.injectFault({ kind: 'error', status: 503, method: 'POST', path: '/dispatches' });

    const first = await dispatchRun(h.deps, run!.id);
    expect(first.kind).toBe('requeued');
    const queued = await h.store.runs.getRun(run!.id);
    expect(dispatchDueAt(queued!, h.deps) - h.deps.clock()).toBe(60_000);
    expect((await dispatchDueRuns(h.deps)).waiting).toBe(1);

    h.advance(60_000);
    const pass = await dispatchDueRuns(h.deps);
    expect(pass.dispatched.map((o) => o.kind)).toEqual(['failed']);
    expect((await h.store.runs.getRun(run!.id))?.failureReason).toContain('gave up after 2 dispatch attempts');
    expect(github.state.runs.some((r) => r.inputs.run_id === run!.id)).toBe(false);
  });

  it('waits out GitHub’s secondary rate limit (403 with Retry-After) before dispatching again', async () => {
    const h = await createDispatchHarness(mapping, { 'github-actions': gha() });
    h.deps.policy = { ...h.deps.policy, baseBackoffMs: 30_000 };
    const [run] = await h.claim(1, 'github-actions', 'secondary');
    github.server.injectFault({ kind: 'rate-limit', status: 403, retryAfterSeconds: 90, method: 'POST', path: '/dispatches', times: 1 });

    expect((await dispatchRun(h.deps, run!.id)).kind).toBe('requeued');
    const queued = await h.store.runs.getRun(run!.id);
    // Retry-After (90 s) beats the attempt's own back-off (30 s).
    expect(dispatchDueAt(queued!, h.deps) - h.deps.clock()).toBe(90_000);
    h.advance(45_000);
    expect((await dispatchDueRuns(h.deps)).waiting).toBe(1);
    expect(github.state.runs.some((r) => r.inputs.run_id === run!.id)).toBe(false);
    h.advance(45_000);
    const pass = await dispatchDueRuns(h.deps);
    expect(pass.dispatched.map((o) => o.kind)).toEqual(['dispatched']);
    expect(github.state.runs.filter((r) => r.inputs.run_id === run!.id)).toHaveLength(1);
  });

  it('cancels the job it started when the run was cancelled while the POST was open', async () => {
    const h = await createDispatchHarness(mapping, { 'github-actions': gha() });
    const [run] = await h.claim(1, 'github-actions', 'cancelled');
    github.server.injectFault({ kind: 'latency', ms: 300, method: 'POST', path: '/dispatches', times: 1 });
    const pending = dispatchRun(h.deps, run!.id);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await h.store.runs.updateRun(run!.id, { status: 'cancelled' });
    const outcome = await pending;
    expect(outcome.kind).toBe('skipped');
    const wr = github.state.runs.find((r) => r.inputs.run_id === run!.id);
    expect(wr?.conclusion).toBe('cancelled');
  });

  it('keeps a status the runner reported before the record and still stores the upstream id', async () => {
    const h = await createDispatchHarness(mapping, { 'github-actions': gha() });
    const [run] = await h.claim(1, 'github-actions', 'fast');
    github.server.injectFault({ kind: 'latency', ms: 200, method: 'POST', path: '/dispatches', times: 1 });
    const pending = dispatchRun(h.deps, run!.id);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await h.store.runs.updateRun(run!.id, { status: 'running' }, { expectAttempt: 1 });
    expect((await pending).kind).toBe('dispatched');
    const stored = await h.store.runs.getRun(run!.id);
    expect(stored?.status).toBe('running');
    expect(stored?.upstreamId).toBe(String(github.state.runs.find((r) => r.inputs.run_id === run!.id)?.id));
  });

  it('does not reconcile or double-dispatch a run whose dispatch is in flight here', async () => {
    const h = await createDispatchHarness(mapping, { 'github-actions': gha() });
    const [run] = await h.claim(1, 'github-actions', 'inflight');
    github.server.injectFault({ kind: 'latency', ms: 200, method: 'POST', path: '/dispatches', times: 1 });
    const pending = dispatchRun(h.deps, run!.id);
    await new Promise((resolve) => setTimeout(resolve, 20));
    h.advance(10 * 60_000);
    expect((await dispatchRun(h.deps, run!.id)).kind).toBe('skipped');
    expect(await reconcileDispatching(h.deps)).toEqual([]);
    expect((await pending).kind).toBe('dispatched');
    expect(github.state.runs.filter((r) => r.inputs.run_id === run!.id)).toHaveLength(1);
  });

  it('fails a run whose mapping or backend is gone', async () => {
    const h = await createDispatchHarness(mapping, {});
    const [run] = await h.claim(1, 'github-actions', 'nobackend');
    const outcome = await dispatchRun(h.deps, run!.id);
    expect(outcome).toMatchObject({ kind: 'failed', reason: 'runner backend github-actions is not configured' });
  });

  it('re-queues a run the local backend refused because its queue is full', async () => {
    const fixture = fileURLToPath(new URL('../runners/fixtures/fake-runner.ts', import.meta.url));
    const local = createLocalBackend({
      command: [process.execPath, '--import', 'tsx', fixture], maxConcurrent: 1, maxQueued: 0, killGraceMs: 100,
      // The first child must still hold the only slot when the second dispatch arrives.
      baseEnv: { PATH: process.env.PATH ?? '', FAKE_SLEEP_MS: '5000' },
    });
    const h = await createDispatchHarness(testMapping({ teamKey: 'LOC', executionMode: 'local' }), { local });
    const [first, second] = await h.claim(2, 'local', 'local');
    const started = await dispatchRun(h.deps, first!.id);
    expect(started.kind).toBe('dispatched');
    const refused = await dispatchRun(h.deps, second!.id);
    expect(refused.kind).toBe('requeued');
    expect((await h.store.runs.getRun(first!.id))?.upstreamId).toMatch(new RegExp(`^local-\\d+-${first!.id}$`));
    await local.cancel((await h.store.runs.getRun(first!.id))?.upstreamId ?? '', testMapping());
  });
});
