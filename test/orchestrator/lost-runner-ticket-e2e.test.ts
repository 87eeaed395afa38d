import { statusCommentKey } from '../../src/orchestrator/status-comment.js';
import { linearCommentId } from '../../src/trackers/linear/linear-comment-id.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src/domain/run.js';
import { post, seedWebRepo, waitHandled } from '../github/support/harness-scenario.js';
import { signDelivery, workflowRunEvent, type RepoTarget } from '../github/support/webhook-payloads.js';
import { SECRETS, startHarness, type OrchestratorHarness } from '../support/orchestrator-harness.js';

/**
 * A run whose job ended without a result (the runner died, was killed or
 * stopped) must say so on its ticket like a failed result does: found by the
 * soak bench, where such tickets kept "⏳ Running" and AI-Working for good.
 * A job GitHub stopped (conclusion `cancelled`) is such a run too: it was
 * left cancelled, never retried and never needs-human, its ticket idle until
 * the dedup window closed. Whole orchestrator, real SDK clients, the Linear
 * emulator read back.
 */
describe('a run settled without a result writes its end on the ticket', () => {
  let h: OrchestratorHarness;
  let web: RepoTarget;

  beforeAll(async () => {
    h = await startHarness();
    web = await seedWebRepo(h, 'ENG', 'web');
    h.linear.store.addTeam({ key: 'ENG' });
    h.linear.store.addLabel({ name: 'AI-Implement', team: null });
  });
  afterAll(() => h?.stop());

  /** A dispatched run whose runner reported it started (the ticket shows "Running"). */
  async function runningRun(title: string): Promise<{ run: Run; identifier: string }> {
    const issue = h.linear.store.addIssue({ team: 'ENG', title, labels: ['AI-Implement'] });
    await h.cycle();
    const [run] = await h.runsOf(issue.identifier);
    if (!run?.deadlineAt) throw new Error('no run was dispatched');
    const { progressToken } = h.orchestrator.services.tokens!.mint(run.id, run.attempt, run.deadlineAt);
    const res = await fetch(`${h.orchestrator.url}/runner/progress`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${progressToken}` },
      body: JSON.stringify({ runId: run.id, attempt: run.attempt, steps: [{ id: 'implement', type: 'agent', status: 'running' }] }),
    });
    expect(res.status).toBe(200);
    expect(statusComment(issue.identifier, run)).toContain('⏳ Running');
    expect(h.linear.labelNames(issue.identifier)).toContain('AI-Working');
    return { run, identifier: issue.identifier };
  }

  function statusComment(identifier: string, run: Run): string {
    const comment = h.linear.commentsOn(identifier).find((c) => c.id === linearCommentId(run.issueId, statusCommentKey(run.id)));
    if (!comment) throw new Error(`no status comment for ${run.id}`);
    return comment.body;
  }

  it('when GitHub reports the job ended (workflow_run.completed)', async () => {
    const { run, identifier } = await runningRun('Runner dies');
    h.github.state.setRunStatus(Number(run.upstreamId), 'completed', 'failure');
    const delivery = signDelivery(SECRETS.githubWebhook, 'workflow_run', workflowRunEvent(web, { action: 'completed', id: Number(run.upstreamId), displayTitle: `AI-Implement ${run.id}`, conclusion: 'failure' }));
    expect(await post(h, delivery)).toBeLessThan(300);
    await waitHandled(h, [delivery.id]);

    expect(await h.orchestrator.store.runs.getRun(run.id)).toMatchObject({ status: 'failed', failedStep: 'runner' });
    const body = statusComment(identifier, run);
    expect(body).toContain('❌ Failed');
    expect(body).toContain('The runner workflow run concluded failure without reporting a result');
    expect(body).not.toContain('⏳ Running');
    expect(h.linear.labelNames(identifier)).not.toContain('AI-Working');
  });

  it('a job GitHub concluded cancelled (its timeout-minutes) is a failed try: retried, then needs-human', async () => {
    const issue = h.linear.store.addIssue({ team: 'ENG', title: 'Runner times out', labels: ['AI-Implement'] });
    // Three tries (the first and two retries, after 2 and 8 minutes), each stopped by GitHub.
    for (const [i, wait] of [0, 2, 8].entries()) {
      h.advance(wait * 60_000);
      await h.cycle();
      const run = (await h.runsOf(issue.identifier)).find((r) => r.status === 'launching');
      if (!run) throw new Error(`try ${i + 1} was not dispatched`);
      expect(run.triggerSource).toBe(i === 0 ? 'poll' : 'retry');
      h.github.state.setRunStatus(Number(run.upstreamId), 'completed', 'cancelled');
      const delivery = signDelivery(SECRETS.githubWebhook, 'workflow_run', workflowRunEvent(web, { action: 'completed', id: Number(run.upstreamId), displayTitle: `AI-Implement ${run.id}`, conclusion: 'cancelled' }));
      await post(h, delivery);
      await waitHandled(h, [delivery.id]);
      expect(await h.orchestrator.store.runs.getRun(run.id)).toMatchObject({ status: 'failed', failedStep: 'runner' });
      expect(statusComment(issue.identifier, run)).toContain('❌ Failed');
    }
    expect(h.linear.labelNames(issue.identifier)).toContain('needs-human');
    expect(h.linear.labelNames(issue.identifier)).not.toContain('AI-Working');
    expect(h.linear.commentsOn(issue.identifier).some((c) => c.body.includes('gave up on this ticket after 3 failed runs') && c.body.includes('concluded cancelled'))).toBe(true);
    // Nothing more starts for it.
    h.advance(60 * 60_000);
    await h.cycle();
    expect(await h.runsOf(issue.identifier)).toHaveLength(3);
  });

  it('when the reaper finds the ended job (the delivery never came)', async () => {
    const { run, identifier } = await runningRun('Runner dies quietly');
    h.github.state.setRunStatus(Number(run.upstreamId), 'completed', 'failure');
    // Quiet past the reaper's grace, as a run whose job went away without a word.
    h.advance(10 * 60_000);
    const report = await h.orchestrator.services.operations.reaper.sweep();
    expect(report.settledRuns.map((s) => s.runId)).toContain(run.id);

    const body = statusComment(identifier, run);
    expect(body).toContain('❌ Failed');
    expect(body).toContain('ended upstream (failed) without reporting a result');
    expect(h.linear.labelNames(identifier)).not.toContain('AI-Working');
  });
});
