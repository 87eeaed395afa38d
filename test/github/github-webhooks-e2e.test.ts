import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type OrchestratorHarness } from '../support/orchestrator-harness.js';
import { waitFor } from './support/github-scenario.js';
import { commandOnNewPull, post, seedWebRepo, waitHandled } from './support/harness-scenario.js';
import { type RepoTarget, type SignedDelivery } from './support/webhook-payloads.js';

const TRIGGER_SECRET = 'gap-fill-trigger-secret-0123456789';

describe('GitHub webhooks through the real route, inbox and Probot app (whole orchestrator)', () => {
  let h: OrchestratorHarness;
  let web: RepoTarget;

  beforeAll(async () => {
    h = await startHarness({ GAP_FILL_TRIGGER_SECRET: TRIGGER_SECRET });
    web = await seedWebRepo(h);
  });
  afterAll(() => h?.stop());

  const gapFillRuns = async (issueId: string) => (await h.orchestrator.store.runs.listRuns({ issueId, limit: 50 })).items.filter((r) => r.phase === 'gap-fill');

  it("a writer's signed /ai-implement comment dispatches one gap-fill run to Actions on the PR's branch", async () => {
    const { pull, commentId, issueId, delivery } = await commandOnNewPull(h, web, 1, 'please add tests');
    expect(await post(h, delivery)).toBe(202);
    const run = await h.waitForRun((r) => r.issueId === issueId && r.status === 'launching', 10_000);
    expect(run).toMatchObject({ phase: 'gap-fill', branch: pull.headRef, prNumber: pull.number, instructions: 'please add tests', backend: 'github-actions' });
    expect(h.github.state.run(Number(run.upstreamId))?.displayTitle).toBe(`AI-Implement ${run.id}`);
    expect(h.github.state.reactions.some((r) => r.commentId === commentId && r.content === 'eyes')).toBe(true);
  });

  it('2,000 deliveries of 400 commands (30% duplicate ids, 20% reordered) start exactly 400 runs', async () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const commands = await Promise.all(Array.from({ length: 400 }, (_, i) => commandOnNewPull(h, web, 100 + i)));
    const deliveries: SignedDelivery[] = commands.map((c) => c.delivery);
    // 600 re-sends of a delivery id already sent (the inbox drops them) ...
    for (let i = 0; i < 600; i++) deliveries.push(commands[Math.floor(random() * 400)]!.delivery);
    // ... and 1,000 redeliveries of a command under a fresh delivery id (only the claim key can tell).
    for (let i = 0; i < 1_000; i++) {
      const original = commands[Math.floor(random() * 400)]!.delivery;
      const id = `redelivery-${i}`;
      deliveries.push({ ...original, id, headers: { ...original.headers, 'x-github-delivery': id } });
    }
    // Spread the repeats through the stream, then reorder 20% of the positions among themselves.
    const stream = [...deliveries.slice(0, 400), ...deliveries.slice(400).sort(() => random() - 0.5)];
    for (let i = stream.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      if (i > 400 || random() < 0.2) [stream[i], stream[j]] = [stream[j]!, stream[i]!];
    }
    expect(stream).toHaveLength(2_000);
    expect(new Set(stream.map((d) => d.id)).size).toBe(1_400);

    const dispatchPosts = () => h.github.server.requestsTo('POST', '/actions/workflows/claude-implement.yml/dispatches').length;
    const dispatchedBefore = dispatchPosts();
    const statuses: number[] = [];
    const started = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < stream.length) statuses.push(await post(h, stream[next++]!));
      }),
    );
    expect(statuses.filter((s) => s === 202)).toHaveLength(2_000);
    const posted = Date.now();
    await waitHandled(h, new Set(stream.map((d) => d.id)), 120_000);
    console.log(`[2,000 deliveries] posted in ${posted - started} ms, all handled ${Date.now() - posted} ms later`);

    const runs = (await h.orchestrator.store.runs.listRuns({ limit: 1_000, triggerSource: 'pr-comment' })).items.filter((r) => r.issueId.startsWith('issue-web-') && Number(r.issueId.slice('issue-web-'.length)) >= 100);
    expect(runs).toHaveLength(400);
    expect(new Set(runs.map((r) => r.issueId)).size).toBe(400);
    // One workflow dispatch per run: no command was dispatched twice.
    expect(dispatchPosts() - dispatchedBefore).toBe(400);
    expect(runs.every((r) => r.status === 'launching')).toBe(true);
  }, 180_000);

  it('a delivery whose handler throws (GitHub answering 502) is retried from the inbox and succeeds once the fault clears', async () => {
    const { issueId, delivery } = await commandOnNewPull(h, web, 3, 'retry me');
    h.github.server.injectFault({ kind: 'error', status: 502, path: '/collaborators/' });
    expect(await post(h, delivery)).toBe(202);
    await waitFor(async () => ((await h.orchestrator.store.inbox.getDelivery(delivery.id))?.lastError ? true : undefined), 10_000, 'a failed attempt');
    const failed = await h.orchestrator.store.inbox.getDelivery(delivery.id);
    expect(failed).toMatchObject({ status: 'pending', attempts: 1 });
    expect(await gapFillRuns(issueId)).toHaveLength(0);
    h.github.server.clearFaults();
    h.advance(5_000); // past the retry back-off, without sleeping
    await waitHandled(h, [delivery.id]);
    expect((await h.orchestrator.store.inbox.getDelivery(delivery.id))?.attempts).toBe(2);
    expect(await gapFillRuns(issueId)).toHaveLength(1);
  });

  describe('POST /trigger/gap-fill', () => {
    const trigger = (body: unknown, secret: string | undefined = TRIGGER_SECRET) =>
      fetch(`${h.orchestrator.url}/trigger/gap-fill`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(secret ? { authorization: `Bearer ${secret}` } : {}) },
        body: JSON.stringify(body),
      });

    it('answers 401, 423, 404 and 400 in that order, and changes nothing', async () => {
      const paused = await seedWebRepo(h, 'PAU', 'paused-app');
      await h.addMapping({ teamKey: 'PAU', owner: 'acme', repo: 'paused-app', defaultBranch: 'main', paused: true });
      const { pull } = await commandOnNewPull(h, web, 4);
      const before = (await h.orchestrator.store.runs.listRuns({ limit: 5_000 })).items.length;

      expect((await trigger({ owner: 'acme', repo: 'web', prNumber: pull.number }, '')).status).toBe(401);
      expect((await trigger({ owner: 'acme', repo: 'web', prNumber: pull.number }, 'wrong-secret')).status).toBe(401);
      // Paused beats an unknown PR and a bad body; an unknown PR beats a bad body.
      expect((await trigger({ owner: 'acme', repo: paused.repo, prNumber: 999, instructions: 5 })).status).toBe(423);
      const unknown = await trigger({ owner: 'acme', repo: 'web', prNumber: 9_999, instructions: 5 });
      expect(unknown.status).toBe(404);
      expect((await unknown.json()) as { error: string }).toMatchObject({ error: 'unknown_pr' });
      const bad = await trigger({ owner: 'acme', repo: 'web', prNumber: pull.number, commentId: 'abc' });
      expect(bad.status).toBe(400);
      expect((await bad.json()) as { field: string }).toMatchObject({ field: 'commentId' });
      expect((await trigger({ owner: 'acme', repo: 'web' })).status).toBe(400);
      expect((await h.orchestrator.store.runs.listRuns({ limit: 5_000 })).items.length).toBe(before);
    });

    it('starts ONE run for a comment seen through both the webhook and the trigger route', async () => {
      const { pull, commentId, issueId, delivery } = await commandOnNewPull(h, web, 5, 'both routes');
      const first = await trigger({ owner: 'acme', repo: 'web', prNumber: String(pull.number), commentId, instructions: 'both routes' });
      expect(first.status).toBe(200);
      const answer = (await first.json()) as { status: string; runId: string };
      expect(answer.status).toBe('started');
      expect(await post(h, delivery)).toBe(202);
      await waitHandled(h, [delivery.id]);
      const again = await trigger({ owner: 'acme', repo: 'web', prNumber: pull.number, commentId, instructions: 'both routes' });
      expect((await again.json()) as { status: string; runId: string }).toMatchObject({ status: 'duplicate', runId: answer.runId });
      const runs = await gapFillRuns(issueId);
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({ id: answer.runId, branch: pull.headRef, prNumber: pull.number, instructions: 'both routes' });
    });
  });
});
