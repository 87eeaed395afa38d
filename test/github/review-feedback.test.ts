import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJobSpecBuilder } from '../../src/orchestrator/job-spec.js';
import { startGitHubAppFixture, type GitHubAppFixture } from './support/github-app-fixture.js';
import { openAgentPull } from './support/github-scenario.js';
import { reviewCommentEvent, reviewSubmittedEvent, type PullShape } from './support/webhook-payloads.js';

describe('review feedback: debounced, batched, capped (real Probot app)', () => {
  let f: GitHubAppFixture;

  beforeAll(async () => {
    f = await startGitHubAppFixture({ debounceMs: 60_000 });
    await f.addMapping({ teamKey: 'ENG', maxIterations: 2 });
    f.github.state.setPermission('acme', 'web', 'reviewer', 'write');
    f.github.state.setPermission('acme', 'web', 'drive-by', 'read');
  });
  afterAll(() => f?.stop());

  const comment = (pull: PullShape, id: number, path: string, line: number, body: string, login = 'reviewer') =>
    f.deliver('pull_request_review_comment', reviewCommentEvent(f.web, pull, { commentId: id, body, path, line, login }));

  it('turns two comments inside the window into ONE run carrying both with file and line', async () => {
    const issue = f.linear.store.addIssue({ team: 'ENG', title: 'Batch me' });
    const pull = openAgentPull(f.github.state, f.web, { identifier: issue.identifier, issueId: issue.id, mappingKey: 'ENG' });
    await comment(pull, 5001, 'src/a.ts', 12, 'Rename this');
    f.advance(30_000);
    await comment(pull, 5002, 'src/b.ts', 40, 'Add a test for the null case');
    // A redelivered comment is kept once; a drive-by reader is not heard.
    await comment(pull, 5002, 'src/b.ts', 40, 'Add a test for the null case');
    await comment(pull, 5003, 'src/c.ts', 1, 'Rewrite everything', 'drive-by');
    await f.deliver('pull_request_review', reviewSubmittedEvent(f.web, pull, { reviewId: 77, state: 'changes_requested', body: 'Please address the comments.', login: 'reviewer' }));

    // 30 s after the last comment: still inside the window.
    f.advance(30_000);
    expect(f.timers.fireAll()).toBeGreaterThan(0);
    await f.integration.feedback.flushDue();
    expect((await f.runs()).filter((r) => r.issueId === issue.id)).toHaveLength(0);

    f.advance(31_000);
    await f.integration.feedback.flushDue();
    const runs = (await f.runs()).filter((r) => r.issueId === issue.id);
    expect(runs).toHaveLength(1);
    const run = runs[0]!;
    expect(run).toMatchObject({ phase: 'review-feedback', branch: pull.headRef, prNumber: pull.number, triggerSource: 'review' });
    expect(f.dispatched).toContain(run.id);
    const comments = await f.integration.reviewCommentsFor(run);
    expect(comments).toEqual([
      expect.objectContaining({ author: 'reviewer', body: 'Rename this', path: 'src/a.ts', line: 12 }),
      expect.objectContaining({ author: 'reviewer', body: 'Add a test for the null case', path: 'src/b.ts', line: 40 }),
      expect.objectContaining({ author: 'reviewer', body: 'Please address the comments.' }),
    ]);
    // The job spec builder takes the same function: the runner gets every comment.
    const jobSpecs = createJobSpecBuilder({
      store: f.store,
      trackers: f.trackers,
      clock: f.now,
      github: { apiUrl: f.github.gheBaseUrl, webUrl: f.github.url },
      mintRepoToken: async () => ({ token: 'ghs_test', expiresAt: new Date(f.now() + 3_600_000).toISOString() }),
      envFor: () => ({}),
      reviewCommentsFor: f.integration.reviewCommentsFor,
    });
    const spec = await jobSpecs.build({ aud: 'runner-progress', sub: run.id, attempt: run.attempt, jti: 'j', iat: 0, exp: 0 });
    expect(spec.reviewComments).toHaveLength(3);
    expect(spec.repo).toMatchObject({ branch: pull.headRef, prNumber: pull.number });
  });

  it('keeps pending comments across a restart (they live in the store)', async () => {
    const issue = f.linear.store.addIssue({ team: 'ENG', title: 'Restart me' });
    const pull = openAgentPull(f.github.state, f.web, { identifier: issue.identifier, issueId: issue.id, mappingKey: 'ENG' });
    await comment(pull, 6001, 'src/x.ts', 3, 'Typo');
    // The process "restarts": its timers are gone; a new batcher on the same store re-arms them.
    f.integration.feedback.stop();
    f.timers.pending.clear();
    const { ReviewFeedbackBatcher } = await import('../../src/orchestrator/review-feedback.js');
    const revived = new ReviewFeedbackBatcher({ ...f.integration.deps, prApi: async () => { throw new Error('unused'); }, timers: f.timers, debounceMs: 60_000 });
    await revived.restore();
    expect(f.timers.pending.size).toBe(1);
    f.advance(61_000);
    await revived.flushDue();
    const [run] = (await f.runs()).filter((r) => r.issueId === issue.id);
    expect(run?.phase).toBe('review-feedback');
    expect(await f.integration.reviewCommentsFor(run!)).toEqual([expect.objectContaining({ body: 'Typo', path: 'src/x.ts', line: 3 })]);
  });

  it('stops at maxIterations: the next request gets a PR comment and needs-human, no run', async () => {
    const issue = f.linear.store.addIssue({ team: 'ENG', title: 'Cap me' });
    const pull = openAgentPull(f.github.state, f.web, { identifier: issue.identifier, issueId: issue.id, mappingKey: 'ENG' });
    for (let i = 1; i <= 3; i++) {
      await comment(pull, 7000 + i, 'src/loop.ts', i, `Round ${i}`);
      f.advance(61_000);
      await f.integration.feedback.flushDue();
      // Each feedback run finishes before the next review round.
      for (const run of (await f.runs()).filter((r) => r.issueId === issue.id && r.status === 'launching')) {
        await f.store.runs.updateRun(run.id, { status: 'succeeded' });
      }
    }
    const runs = (await f.runs()).filter((r) => r.issueId === issue.id);
    expect(runs).toHaveLength(2);
    expect(f.linear.labelNames(issue.identifier)).toContain('needs-human');
    const capComment = f.github.state.issueComments.find((c) => c.issueNumber === pull.number && c.body.includes('review-feedback iteration'));
    expect(capComment?.body).toContain('2 review-feedback iteration');
    expect(await f.integration.feedback.pending('acme', 'web', pull.number)).toBeUndefined();
  });

  it('holds a batch while the previous feedback run is still working', async () => {
    const issue = f.linear.store.addIssue({ team: 'ENG', title: 'Hold me' });
    const pull = openAgentPull(f.github.state, f.web, { identifier: issue.identifier, issueId: issue.id, mappingKey: 'ENG' });
    await comment(pull, 8001, 'src/h.ts', 1, 'One');
    f.advance(61_000);
    await f.integration.feedback.flushDue();
    await comment(pull, 8002, 'src/h.ts', 2, 'Two');
    f.advance(61_000);
    expect(await f.integration.feedback.flushDue()).toMatchObject({ [`acme/web#${pull.number}`]: 'waiting' });
    const [first] = (await f.runs()).filter((r) => r.issueId === issue.id);
    await f.store.runs.updateRun(first!.id, { status: 'succeeded' });
    f.advance(61_000);
    await f.integration.feedback.flushDue();
    const runs = (await f.runs()).filter((r) => r.issueId === issue.id);
    expect(runs).toHaveLength(2);
  });
});
