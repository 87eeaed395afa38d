import type { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src/domain/run.js';
import { dispatchDueRuns } from '../../src/orchestrator/dispatch-due-runs.js';
import { dispatchRun, reconcileDispatching, type DispatchOutcome } from '../../src/orchestrator/dispatch-run.js';
import { createFlyBackend, FLY_METADATA } from '../../src/runners/fly/create-fly-backend.js';
import { createGitHubActionsBackend } from '../../src/runners/github-actions/create-github-actions-backend.js';
import type { EmulatorServer } from '../../src/sandbox/emulator-server.js';
import { FlyEmulator } from '../../src/sandbox/fly/index.js';
import type { GitHubEmulator } from '../../src/sandbox/github/index.js';
import { createDispatchHarness, inParallel, type DispatchHarness } from '../runners/support/dispatch-harness.js';
import { dispatchRequest, startGitHub, testMapping } from '../runners/support/runner-fixtures.js';

const RUNS = 200;
const HOUR = 60 * 60_000;

interface Tally {
  kinds: Record<string, number>;
  passes: number;
}

/** First dispatch of every run, then passes (an hour apart on the fake clock) until nothing is queued. */
async function dispatchUntilSettled(harness: DispatchHarness, runs: Run[]): Promise<Tally> {
  const kinds: Record<string, number> = {};
  const count = (outcomes: DispatchOutcome[]): void => {
    for (const o of outcomes) kinds[o.kind] = (kinds[o.kind] ?? 0) + 1;
  };
  count(await inParallel(runs, 8, (run) => dispatchRun(harness.deps, run.id)));
  let passes = 0;
  while ((await harness.store.runs.listActiveRuns({ status: ['queued', 'claimed', 'retrying'] })).length > 0) {
    if (++passes > 12) throw new Error('runs did not settle');
    harness.advance(HOUR);
    const pass = await dispatchDueRuns(harness.deps, { concurrency: 8 });
    count(pass.reconciled);
    count(pass.dispatched);
  }
  return { kinds, passes };
}

function outcomesOf(server: EmulatorServer, path: RegExp): { posts: number; dropped: number; refused: number } {
  const posts = server.requestsTo('POST', path);
  return {
    posts: posts.length,
    dropped: posts.filter((r) => r.outcome === 'dropped').length,
    refused: posts.filter((r) => r.outcome === 502).length,
  };
}

describe('dispatch is exactly-once under dropped and refused POSTs', () => {
  describe('GitHub Actions', () => {
    let github: GitHubEmulator;
    let getOctokit: (owner: string, repo: string) => Promise<Octokit>;

    beforeAll(async () => {
      ({ github, getOctokit } = await startGitHub());
    });
    afterAll(() => github.stop());

    it(`starts exactly ${RUNS} workflow runs for ${RUNS} claimed runs`, async () => {
      const mapping = testMapping();
      const harness = await createDispatchHarness(mapping, { 'github-actions': createGitHubActionsBackend({ getOctokit }) });
      const runs = await harness.claim(RUNS, 'github-actions', 'gh');
      github.server.injectFault({ kind: 'drop-after-apply', method: 'POST', path: '/dispatches', every: 3 });
      github.server.injectFault({ kind: 'error', status: 502, method: 'POST', path: '/dispatches', every: 5 });

      const tally = await dispatchUntilSettled(harness, runs);
      github.server.clearFaults();

      const perRun = new Map<string, number[]>();
      for (const wr of github.state.runs) {
        const runId = wr.inputs.run_id ?? '';
        perRun.set(runId, [...(perRun.get(runId) ?? []), wr.id]);
        expect(wr.displayTitle).toBe(`AI-Implement ${runId}`);
      }
      expect(github.state.runs).toHaveLength(RUNS);
      expect([...perRun.values()].filter((ids) => ids.length > 1)).toEqual([]);
      for (const run of runs) {
        const stored = await harness.store.runs.getRun(run.id);
        expect(stored?.status).toBe('launching');
        expect(stored?.upstreamId).toBe(String(perRun.get(run.id)?.[0]));
        // Attempt counts dispatch POSTs that were refused before this one got through.
        expect(stored?.dispatchNumber).toBe(stored?.attempt);
      }
      const wire = outcomesOf(github.server, /\/dispatches$/);
      expect(wire.posts).toBe(RUNS + wire.refused);
      expect(wire.dropped).toBeGreaterThan(0);
      expect(wire.refused).toBeGreaterThan(0);
      console.info(`github exactly-once: ${JSON.stringify({ ...wire, workflowRuns: github.state.runs.length, ...tally })}`);
      // 200 dispatches through Octokit with the emulator's full GitHub shapes: about 15 s on an idle machine of two cores.
    }, 90_000);
  });

  describe('Fly machines', () => {
    const fly = new FlyEmulator({ token: 'fly-token', apps: ['ai-sessions'] });

    beforeAll(() => fly.start());
    afterAll(() => fly.stop());

    it(`creates exactly ${RUNS} machines for ${RUNS} claimed runs`, async () => {
      const mapping = testMapping({ teamKey: 'OPS', executionMode: 'fly-machines' });
      const backend = createFlyBackend({ client: { token: 'fly-token', apiUrl: fly.apiUrl }, app: () => 'ai-sessions', image: 'runner:1' });
      const harness = await createDispatchHarness(mapping, { 'fly-machines': backend }, { OPS_KEY: 'ops-secret' });
      const runs = await harness.claim(RUNS, 'fly-machines', 'fly');
      const createPath = /^\/v1\/apps\/ai-sessions\/machines$/;
      fly.server.injectFault({ kind: 'drop-after-apply', method: 'POST', path: createPath, every: 3 });
      fly.server.injectFault({ kind: 'error', status: 502, method: 'POST', path: createPath, every: 5 });

      const tally = await dispatchUntilSettled(harness, runs);
      fly.server.clearFaults();

      const machines = [...fly.state.machines.values()];
      expect(machines).toHaveLength(RUNS);
      const byRun = new Map(machines.map((m) => [m.config.metadata[FLY_METADATA.runId], m]));
      expect(byRun.size).toBe(RUNS);
      for (const run of runs) {
        const stored = await harness.store.runs.getRun(run.id);
        const machine = byRun.get(run.id);
        expect(stored?.status).toBe('launching');
        expect(stored?.upstreamId).toBe(machine?.id);
        expect(machine?.name).toBe(`run-${run.id}`);
        // The machine carries the tokens of the attempt that was recorded.
        expect(machine?.config.env.AI_IMPLEMENT_ATTEMPT).toBe(String(stored?.attempt));
        expect(machine?.config.env.AI_IMPLEMENT_RESULT_TOKEN).toBe(`result-${run.id}-${stored?.attempt}`);
        expect(machine?.config.env.OPS_KEY).toBe('ops-secret');
      }
      const wire = outcomesOf(fly.server, createPath);
      expect(wire.posts).toBe(RUNS + wire.refused);
      expect(wire.dropped).toBeGreaterThan(0);
      console.info(`fly exactly-once: ${JSON.stringify({ ...wire, machines: machines.length, ...tally })}`);
    });
  });

  describe('a dispatcher that dies between intent and record', () => {
    let github: GitHubEmulator;
    let getOctokit: (owner: string, repo: string) => Promise<Octokit>;

    beforeAll(async () => {
      ({ github, getOctokit } = await startGitHub());
    });
    afterAll(() => github.stop());

    it('is settled by reconcileDispatching from the upstream job, without a second POST', async () => {
      const mapping = testMapping();
      const backend = createGitHubActionsBackend({ getOctokit });
      const harness = await createDispatchHarness(mapping, { 'github-actions': backend });
      const [posted, neverPosted] = await harness.claim(2, 'github-actions', 'crash');
      // The dead process got as far as the POST for one run, and not even that for the other.
      const upstream = await backend.dispatch(dispatchRequest(posted!.id, mapping));
      const postsBefore = github.server.requestsTo('POST', '/dispatches').length;

      // Still fresh: a live dispatcher might be waiting on its answer, so nothing is touched.
      expect(await reconcileDispatching(harness.deps)).toEqual([]);

      harness.advance(5 * 60_000);
      const outcomes = await reconcileDispatching(harness.deps);
      expect(outcomes.map((o) => o.kind).sort()).toEqual(['dispatched', 'requeued']);
      expect(github.server.requestsTo('POST', '/dispatches')).toHaveLength(postsBefore);

      const recovered = await harness.store.runs.getRun(posted!.id);
      expect(recovered).toMatchObject({ status: 'launching', upstreamId: upstream.upstreamId, attempt: 1 });
      const requeued = await harness.store.runs.getRun(neverPosted!.id);
      expect(requeued).toMatchObject({ status: 'retrying', attempt: 2, dispatchNumber: 2 });

      // The next pass dispatches the re-queued run once, as attempt 2 with fresh tokens.
      harness.advance(HOUR);
      const pass = await dispatchDueRuns(harness.deps);
      expect(pass.dispatched.map((o) => o.kind)).toEqual(['dispatched']);
      expect(github.state.runs.filter((r) => r.inputs.run_id === neverPosted!.id)).toHaveLength(1);
      expect(github.state.runs.filter((r) => r.inputs.run_id === posted!.id)).toHaveLength(1);
      expect(harness.tokens.minted.filter((m) => m.runId === neverPosted!.id).map((m) => m.attempt)).toEqual([2]);
    });
  });
});
