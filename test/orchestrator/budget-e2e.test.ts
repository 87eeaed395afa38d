import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src/domain/run.js';
import { addPrComment, openAgentPull, waitFor } from '../github/support/github-scenario.js';
import { post, seedWebRepo, waitHandled } from '../github/support/harness-scenario.js';
import { reviewCommentEvent, signDelivery, type RepoTarget } from '../github/support/webhook-payloads.js';
import { apiClient, type ApiClient } from '../api/support/api-client.js';
import { SECRETS, startHarness, type OrchestratorHarness } from '../support/orchestrator-harness.js';

/**
 * The per-ticket spend limit (issue 19, item 9) through the whole
 * orchestrator: a ticket's first run spends under its limit, a retry and a
 * review-feedback round on its PR push the ticket over, and the running
 * round is stopped through the stop command, the Linear ticket is told why
 * and labelled paused, intake leaves it alone, and an operator raises the
 * limit and resumes it.
 */
describe('a per-ticket spend limit carried across retries and review rounds (whole orchestrator)', () => {
  let h: OrchestratorHarness;
  let web: RepoTarget;
  let api: ApiClient;
  let bearer: string;

  beforeAll(async () => {
    h = await startHarness();
    h.linear.store.addTeam({ key: 'BUD' });
    h.linear.store.addLabel({ name: 'AI-Implement', team: null });
    web = await seedWebRepo(h, 'BUD', 'budget-app');
    await h.addMapping({ teamKey: 'BUD', owner: 'acme', repo: 'budget-app', defaultBranch: 'main', executionMode: 'github-actions', budget: { perTicketUsd: 1 } });
    api = apiClient(h.orchestrator.url);
    bearer = await api.login(SECRETS.adminAccessCode);
  }, 60_000);
  afterAll(() => h?.stop());

  const runner = (path: string, token: string, body: unknown) =>
    fetch(`${h.orchestrator.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  const tokensOf = (run: Run) => h.orchestrator.services.tokens!.mint(run.id, run.attempt, run.deadlineAt!);
  const call = (path: string, init: RequestInit = {}) =>
    fetch(`${h.orchestrator.url}${path}`, { ...init, headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}`, ...init.headers } });

  it('stops the review round that passes the limit, comments and pauses the ticket, and resumes it once the limit is raised', async () => {
    const issue = h.linear.store.addIssue({ team: 'BUD', title: 'Spend carefully', labels: ['AI-Implement'] });

    // 1. The first run spends $0.40 and fails: under the $1 limit.
    await h.cycle();
    const [first] = await h.runsOf(issue.identifier);
    const t1 = tokensOf(first!);
    expect((await runner('/runner/progress', t1.progressToken, { runId: first!.id, attempt: 1, steps: [], usage: { costUsd: 0.4 }, firstModelRequestAt: new Date(h.clock()).toISOString() })).status).toBe(200);
    expect((await h.orchestrator.store.runs.getRun(first!.id))?.status).toBe('running');
    expect((await runner('/runner/result', t1.resultToken, { runId: first!.id, attempt: 1, outcome: 'failed', failureReason: 'tests failed', costUsd: 0.4 })).status).toBe(200);
    await h.waitForTerminal(first!.id);
    await waitFor(async () => ((await h.orchestrator.store.dedup.get(issue.id))?.failures === 1 ? true : undefined), 5_000, 'the failure to be counted');

    // 2. The retry spends $0.35 and opens a PR: $0.75 for the ticket, still under.
    h.advance(3 * 3_600_000);
    await h.cycle();
    const retry = (await h.runsOf(issue.identifier)).find((r) => r.id !== first!.id)!;
    expect(retry.triggerSource).toBe('retry');
    const pull = openAgentPull(h.github.state, web, { identifier: issue.identifier, issueId: issue.id, mappingKey: 'BUD', runId: retry.id });
    const t2 = tokensOf(retry);
    const prUrl = `${h.orchestrator.config.github.webUrl}/acme/budget-app/pull/${pull.number}`;
    const finished = await runner('/runner/result', t2.resultToken, { runId: retry.id, attempt: 1, outcome: 'succeeded', prUrl, prNumber: pull.number, branch: pull.headRef, costUsd: 0.35 });
    expect(finished.status).toBe(200);
    expect((await h.waitForTerminal(retry.id)).status).toBe('pr_opened');
    expect(h.linear.labelNames(issue.identifier)).not.toContain('AI-Implement-Paused');

    // 3. A reviewer's comments start a review-feedback round on the PR.
    h.github.state.setPermission('acme', 'budget-app', 'reviewer', 'write');
    const commentId = addPrComment(h.github.state, web, pull.number, 'reviewer', 'Please rename this');
    const delivery = signDelivery(SECRETS.githubWebhook, 'pull_request_review_comment', reviewCommentEvent(web, pull, { commentId, body: 'Please rename this', path: 'src/a.ts', line: 3, login: 'reviewer' }));
    expect(await post(h, delivery)).toBe(202);
    await waitHandled(h, [delivery.id]);
    h.advance(61_000);
    await h.orchestrator.services.githubApp.feedback.flushDue();
    const review = (await h.runsOf(issue.identifier)).find((r) => r.phase === 'review-feedback')!;
    expect(review).toBeDefined();
    const t3 = tokensOf(review);

    // $0.20 so far: $0.95 for the ticket, within the limit; the round goes on.
    expect((await runner('/runner/progress', t3.progressToken, { runId: review.id, attempt: 1, steps: [], usage: { costUsd: 0.2 } })).status).toBe(200);
    expect((await h.orchestrator.store.runs.getRun(review.id))?.status).toBe('running');
    // $0.30: $1.05 for the ticket, past its $1 limit although this round alone spent little.
    const over = await runner('/runner/progress', t3.progressToken, { runId: review.id, attempt: 1, steps: [], usage: { costUsd: 0.3 } });
    expect(over.status).toBe(200);
    const stopped = await h.orchestrator.store.runs.getRun(review.id);
    expect(stopped).toMatchObject({ status: 'failed', costUsd: 0.3 });
    expect(stopped?.failureReason).toBe(`Stopped by a spend limit: Ticket ${issue.identifier} spent $1.05, over the per-ticket limit (all runs of the ticket, retries and review rounds included) of $1.00`);
    // Stopped like an operator's stop: the Actions run is cancelled, the audit names it.
    const stopAudit = (await h.orchestrator.store.audit.list({ action: 'run.stop', limit: 10 })).items.find((e) => e.target === `run:${review.id}`);
    expect(stopAudit?.actor).toBe('admin-session:orchestrator');

    // The ticket is told why and paused.
    await waitFor(() => (h.linear.labelNames(issue.identifier).includes('AI-Implement-Paused') ? true : undefined), 5_000, 'the pause label');
    const told = h.linear.commentsOn(issue.identifier).find((c) => c.body.includes(`stopped run ${review.id}`));
    expect(told?.body).toContain('spent $1.05, over the per-ticket limit');
    expect(told?.body).toContain('The ticket is paused');
    // A late result of the stopped round is refused; the runner's token is spent on nothing.
    expect((await runner('/runner/result', t3.resultToken, { runId: review.id, attempt: 1, outcome: 'succeeded', costUsd: 0.3 })).status).toBe(409);

    // Intake leaves it alone, and the Blockers say why.
    h.advance(25 * 3_600_000);
    const cycle = await h.cycle();
    // A day later the operator's token has lapsed; they sign in again.
    bearer = await api.login(SECRETS.adminAccessCode);
    expect(cycle.started.filter((s) => s.run.issueId === issue.id)).toEqual([]);
    expect(cycle.plan.blockers.find((b) => b.issueId === issue.id)).toMatchObject({ reason: 'budget' });
    const pausedRes = await call('/api/tickets/paused');
    expect(pausedRes.status).toBe(200);
    const paused = (await pausedRes.json()) as { tickets: { identifier: string; reason: string }[] };
    expect(paused.tickets.map((t) => t.identifier)).toEqual([issue.identifier]);
    // The Blockers panel lists it with its reason and a Resume button.
    const blockers = await (await fetch(`${h.orchestrator.url}/admin/blockers`, { headers: { cookie: `ai_implement_admin=${encodeURIComponent(bearer)}` } })).text();
    expect(blockers).toContain(`action="/admin/tickets/${issue.identifier}/resume"`);
    expect(blockers).toContain('spent $1.05, over the per-ticket limit');

    // Resuming before the limit is raised is refused and changes nothing.
    const early = await call(`/api/tickets/${issue.identifier}/resume`, { method: 'POST' });
    expect(early.status).toBe(409);
    expect(JSON.stringify(await early.json())).toContain('Raise the limit first');
    expect(h.linear.labelNames(issue.identifier)).toContain('AI-Implement-Paused');

    // The operator raises the limit and resumes: the label comes off and intake no longer holds the ticket (its PR waits for review again).
    expect((await call('/api/mappings/BUD', { method: 'PATCH', body: JSON.stringify({ budget: { perTicketUsd: 5 } }) })).status).toBe(200);
    const resumed = await call(`/api/tickets/${issue.identifier}/resume`, { method: 'POST' });
    expect(resumed.status).toBe(200);
    expect(await resumed.json()).toMatchObject({ identifier: issue.identifier, spentUsd: 1.05, perTicketUsd: 5 });
    expect(h.linear.labelNames(issue.identifier)).not.toContain('AI-Implement-Paused');
    const after = await h.cycle();
    expect(after.plan.blockers.find((b) => b.issueId === issue.id)).toBeUndefined();
    expect(((await (await call('/api/tickets/paused')).json()) as { tickets: unknown[] }).tickets).toEqual([]);
  }, 60_000);

  it('refuses to start a run for a ticket already at its limit, and pauses it with the reason', async () => {
    await h.addMapping({ teamKey: 'BUD', owner: 'acme', repo: 'budget-app', defaultBranch: 'main', executionMode: 'github-actions', budget: { perTicketUsd: 0.5 } });
    const issue = h.linear.store.addIssue({ team: 'BUD', title: 'Already spent', labels: ['AI-Implement'] });
    await h.cycle();
    const [run] = await h.runsOf(issue.identifier);
    const t = tokensOf(run!);
    // The result alone reports the spend (no progress usage): the next start is the check.
    expect((await runner('/runner/result', t.resultToken, { runId: run!.id, attempt: 1, outcome: 'failed', failureReason: 'boom', costUsd: 0.5 })).status).toBe(200);
    await h.waitForTerminal(run!.id);
    h.advance(3 * 3_600_000);
    await h.cycle();
    expect(await h.runsOf(issue.identifier)).toHaveLength(1);
    await waitFor(() => (h.linear.labelNames(issue.identifier).includes('AI-Implement-Paused') ? true : undefined), 5_000, 'the pause label');
    expect(h.linear.commentsOn(issue.identifier).some((c) => c.body.includes('did not start a new run') && c.body.includes('$0.5000, which reaches the per-ticket limit'))).toBe(true);
  }, 30_000);
});
