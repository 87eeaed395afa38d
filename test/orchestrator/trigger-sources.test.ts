import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src/domain/run.js';
import { addPrComment, openAgentPull, seedOpeningRun, waitFor } from '../github/support/github-scenario.js';
import { commandOnNewPull, post, seedWebRepo, waitHandled } from '../github/support/harness-scenario.js';
import { reviewCommentEvent, signDelivery, type RepoTarget } from '../github/support/webhook-payloads.js';
import { SECRETS, startHarness, type OrchestratorHarness } from '../support/orchestrator-harness.js';

const TRIGGER_SECRET = 'gap-fill-trigger-secret-0123456789';

/**
 * Every trigger starts its run through the one `claimAndDispatch`, and the
 * run records exactly what started it: one case per trigger source, through
 * the whole orchestrator (real routes, inbox, run loop and SDK clients).
 */
describe('the trigger source each way of starting a run records', () => {
  let h: OrchestratorHarness;
  let web: RepoTarget;

  beforeAll(async () => {
    h = await startHarness({ GAP_FILL_TRIGGER_SECRET: TRIGGER_SECRET });
    web = await seedWebRepo(h, 'ENG', 'web');
    h.github.state.addWorkflow('acme', 'web', {
      file: 'claude-plan.yml',
      name: 'AI-Implement plan',
      runName: 'AI-Implement ${{ inputs.run_id }}',
      inputs: { run_id: { required: true }, orchestrator_url: { required: true } },
    });
    h.linear.store.addTeam({ key: 'ENG' });
    h.linear.store.addTeam({ key: 'PLN' });
    h.linear.store.addTeam({ key: 'LOC' });
    h.linear.store.addLabel({ name: 'AI-Implement', team: null });
    h.linear.store.addLabel({ name: 'Plan-Complete', team: null });
    await h.addMapping({ teamKey: 'PLN', owner: 'acme', repo: 'web', defaultBranch: 'main', executionMode: 'github-actions', planningEnabled: true });
    // claude-code without credentials fails in the runner before any model call.
    await h.addMapping({ teamKey: 'LOC', owner: 'acme', repo: 'web', defaultBranch: 'main', executionMode: 'local', agentRuntime: 'claude-code' });
  });
  afterAll(() => h?.stop());

  const only = async (identifierOrId: string, predicate: (run: Run) => boolean = () => true): Promise<Run> => {
    const runs = (await h.runsOf(identifierOrId)).filter(predicate);
    expect(runs).toHaveLength(1);
    return runs[0]!;
  };

  it('poll: a full cycle finds a labelled ticket', async () => {
    const issue = h.linear.store.addIssue({ team: 'ENG', title: 'Found by the poll', labels: ['AI-Implement'] });
    await h.cycle();
    expect((await only(issue.identifier)).triggerSource).toBe('poll');
  });

  it('webhook: a signed Linear webhook names a newly labelled ticket', async () => {
    const issue = h.linear.store.addIssue({ team: 'ENG', title: 'Named by a webhook' });
    issue.labelIds.push(h.linear.workspace.labels.find((l) => l.name === 'AI-Implement')!.id);
    const delivery = h.linear.issueWebhook(issue.identifier, { secret: SECRETS.linearWebhook, updatedFrom: { labelIds: [] } });
    const res = await fetch(`${h.orchestrator.url}/webhooks/linear`, { method: 'POST', headers: { 'content-type': 'application/json', ...delivery.headers }, body: delivery.body });
    expect(res.status).toBe(200);
    const run = await h.waitForRun((r) => r.issueId === issue.id, 5_000);
    expect(run.triggerSource).toBe('linear-webhook');
  });

  it('retry: the next run of a ticket whose run failed, once its back-off has passed', async () => {
    const issue = h.linear.store.addIssue({ team: 'LOC', title: 'Fails once', labels: ['AI-Implement'] });
    await h.cycle();
    const first = await only(issue.identifier);
    expect(first.triggerSource).toBe('poll');
    expect((await h.waitForTerminal(first.id)).status).toBe('failed');
    await waitFor(async () => ((await h.orchestrator.store.dedup.get(issue.id))?.failures === 1 ? true : undefined), 5_000, 'the failure to be counted');
    // Past the back-off the dedup row has expired: only the run history can tell this is a retry.
    h.advance(3 * 3_600_000);
    await h.cycle();
    const second = await only(issue.identifier, (r) => r.id !== first.id);
    expect(second).toMatchObject({ triggerSource: 'retry', dispatchNumber: 2 });
  }, 30_000);

  it('plan-approval: the implementation that follows an approved plan', async () => {
    const issue = h.linear.store.addIssue({ team: 'PLN', title: 'Plan me first', labels: ['AI-Implement'] });
    await h.cycle();
    const plan = await only(issue.identifier);
    expect(plan).toMatchObject({ phase: 'plan', triggerSource: 'poll' });
    await h.orchestrator.store.runs.updateRun(plan.id, { status: 'succeeded', finishedAt: new Date().toISOString() });
    // A person approves the plan; the dedup window of the plan's dispatch has passed.
    issue.labelIds.push(h.linear.workspace.labels.find((l) => l.name === 'Plan-Complete')!.id);
    h.advance(25 * 3_600_000);
    await h.cycle();
    expect(await only(issue.identifier, (r) => r.phase === 'implement')).toMatchObject({ triggerSource: 'plan-approval', dispatchNumber: 2 });
  });

  it('comment: a writer’s /ai-implement comment on the PR', async () => {
    const { issueId, delivery } = await commandOnNewPull(h, web, 1, 'from a comment');
    expect(await post(h, delivery)).toBe(202);
    await waitHandled(h, [delivery.id]);
    // The PR's opening implement run is the stored run its marker names; the comment starts the gap-fill.
    expect((await only(issueId, (r) => r.phase === 'gap-fill')).triggerSource).toBe('pr-comment');
  });

  it('trigger: the /trigger/gap-fill route (comment-trigger.yml)', async () => {
    const opening = { runId: 'run-open-trigger-route', identifier: 'ENG-2001', issueId: 'issue-trigger-route', mappingKey: 'ENG' };
    const pull = openAgentPull(h.github.state, web, opening);
    await seedOpeningRun(h.orchestrator.store, { ...opening, pull });
    const res = await fetch(`${h.orchestrator.url}/trigger/gap-fill`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TRIGGER_SECRET}` },
      body: JSON.stringify({ owner: 'acme', repo: 'web', prNumber: pull.number, instructions: 'from the route' }),
    });
    expect(res.status).toBe(200);
    expect((await only('issue-trigger-route', (r) => r.phase === 'gap-fill')).triggerSource).toBe('gap-fill-trigger');
  });

  it('review: a batch of review comments once the reviewer pauses', async () => {
    const opening = { runId: 'run-open-review', identifier: 'ENG-2002', issueId: 'issue-review', mappingKey: 'ENG' };
    const pull = openAgentPull(h.github.state, web, opening);
    await seedOpeningRun(h.orchestrator.store, { ...opening, pull });
    h.github.state.setPermission('acme', 'web', 'reviewer', 'write');
    const commentId = addPrComment(h.github.state, web, pull.number, 'reviewer', 'Please rename this');
    const delivery = signDelivery(SECRETS.githubWebhook, 'pull_request_review_comment', reviewCommentEvent(web, pull, { commentId, body: 'Please rename this', path: 'src/a.ts', line: 3, login: 'reviewer' }));
    expect(await post(h, delivery)).toBe(202);
    await waitHandled(h, [delivery.id]);
    h.advance(61_000);
    await h.orchestrator.services.githubApp.feedback.flushDue();
    expect((await only('issue-review', (r) => r.phase === 'review-feedback')).triggerSource).toBe('review');
  });
});
