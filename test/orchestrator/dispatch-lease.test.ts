import type { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchDueRuns } from '../../src/orchestrator/dispatch-due-runs.js';
import { reconcileDispatching } from '../../src/orchestrator/dispatch-run.js';
import { createGitHubActionsBackend } from '../../src/runners/github-actions/create-github-actions-backend.js';
import type { RunnerBackend } from '../../src/runners/runner-backend.js';
import type { GitHubEmulator } from '../../src/sandbox/github/index.js';
import { createDispatchHarness } from '../runners/support/dispatch-harness.js';
import { startGitHub, testMapping } from '../runners/support/runner-fixtures.js';

const MINUTE = 60_000;

describe('dispatch leases between replicas', () => {
  let github: GitHubEmulator;
  let getOctokit: (owner: string, repo: string) => Promise<Octokit>;
  const mapping = testMapping();

  beforeAll(async () => {
    ({ github, getOctokit } = await startGitHub());
  });
  afterAll(() => github.stop());

  const gha = (): RunnerBackend => createGitHubActionsBackend({ getOctokit });
  const upstreamOf = (runId: string) => github.state.runs.filter((r) => r.inputs.run_id === runId);

  it('leaves a dispatch another replica holds alone however old, and settles it from upstream once that lease lapses, without posting again', async () => {
    const h = await createDispatchHarness(mapping, { 'github-actions': gha() });
    const deps = { ...h.deps, replicaId: 'replica-a', policy: { ...h.deps.policy, staleAfterMs: 2 * MINUTE } };
    const [run] = await h.claim(1, 'github-actions', 'held');
    await h.store.runs.updateRun(run!.id, { dispatchLease: { holder: 'replica-b', until: new Date(h.deps.clock() + 10 * MINUTE).toISOString() } });
    // Replica b's call landed upstream; then b died before writing the answer down.
    await deps.backends['github-actions']!.dispatch({
      runId: run!.id, attempt: 1, phase: 'implement', issueIdentifier: run!.identifier, mapping, orchestratorUrl: deps.orchestratorUrl, env: {}, secrets: {}, deadlineAt: new Date(h.deps.clock() + 60 * MINUTE).toISOString(), shadow: false,
    });
    h.advance(5 * MINUTE);
    expect(await reconcileDispatching(deps)).toEqual([]);
    expect((await h.store.runs.getRun(run!.id))?.status).toBe('claimed');
    h.advance(5 * MINUTE + 1);
    const [outcome] = await reconcileDispatching(deps);
    expect(outcome).toMatchObject({ kind: 'dispatched', via: 'lookup' });
    expect(upstreamOf(run!.id)).toHaveLength(1);
  });

  it('reconciles a lapsed lease at once, before the stale delay, and re-queues a dispatch that never landed', async () => {
    const h = await createDispatchHarness(mapping, { 'github-actions': gha() });
    const deps = { ...h.deps, replicaId: 'replica-a', policy: { ...h.deps.policy, staleAfterMs: 10 * MINUTE } };
    const [run] = await h.claim(1, 'github-actions', 'lapsed');
    await h.store.runs.updateRun(run!.id, { dispatchLease: { holder: 'replica-b', until: new Date(h.deps.clock() + 20_000).toISOString() } });
    h.advance(20_001);
    const [outcome] = await reconcileDispatching(deps);
    expect(outcome).toMatchObject({ kind: 'requeued' });
    expect(upstreamOf(run!.id)).toHaveLength(0);
  });

  it('hands each queued run to one of two replicas taking from the queue at once, each dispatch under its taker\'s lease', async () => {
    const h = await createDispatchHarness(mapping, { 'github-actions': gha() });
    const runs = await h.claim(12, 'github-actions', 'queue');
    for (const run of runs) await h.store.runs.updateRun(run.id, { status: 'retrying', retryAt: new Date(h.deps.clock()).toISOString() });
    github.server.injectFault({ kind: 'latency', ms: 30, method: 'POST', path: '/dispatches', times: 12 });
    const a = { ...h.deps, replicaId: 'replica-a', inFlight: new Set<string>() };
    const b = { ...h.deps, replicaId: 'replica-b', inFlight: new Set<string>() };
    const [passA, passB] = await Promise.all([dispatchDueRuns(a, { reconcile: false, batch: 6 }), dispatchDueRuns(b, { reconcile: false, batch: 6 })]);
    expect(passA.dispatched.every((o) => o.kind === 'dispatched')).toBe(true);
    expect(passA.dispatched.length + passB.dispatched.length).toBe(12);
    for (const run of runs) {
      expect(upstreamOf(run.id)).toHaveLength(1);
      const stored = await h.store.runs.getRun(run.id);
      expect(stored?.status).toBe('launching');
      expect(['replica-a', 'replica-b']).toContain(stored?.dispatchLease?.holder);
    }
    expect(passA.waiting + passB.waiting).toBe(0);
  });
});
