import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAiImplementCommand } from '../../src/github/pr-command.js';
import { startGitHubAppFixture, type GitHubAppFixture } from './support/github-app-fixture.js';
import { addPrComment, openAgentPull } from './support/github-scenario.js';
import { issueCommentEvent } from './support/webhook-payloads.js';

describe('parseAiImplementCommand', () => {
  it('takes the instructions from the same and following lines', () => {
    expect(parseAiImplementCommand('/ai-implement please add tests')).toBe('please add tests');
    expect(parseAiImplementCommand('/ai-implement\nadd tests\nand docs\n')).toBe('add tests\nand docs');
    expect(parseAiImplementCommand('Looks good.\n/ai-implement  cover the edge case')).toBe('cover the edge case');
    expect(parseAiImplementCommand('/ai-implement')).toBe('');
  });

  it('ignores comments without a command of its own line', () => {
    expect(parseAiImplementCommand('please run /ai-implement later')).toBeUndefined();
    expect(parseAiImplementCommand('> /ai-implement quoted')).toBeUndefined();
    expect(parseAiImplementCommand('/ai-implementation is neat')).toBeUndefined();
    expect(parseAiImplementCommand(null)).toBeUndefined();
  });
});

describe('/ai-implement on a pull request (real Probot app, GitHub and Linear emulators)', () => {
  let f: GitHubAppFixture;

  beforeAll(async () => {
    f = await startGitHubAppFixture();
    await f.addMapping({ teamKey: 'ENG' });
    f.github.state.addRepo({ owner: 'acme', name: 'unmapped' });
  });
  afterAll(() => f?.stop());

  it("starts one gap-fill run on the PR's branch for a writer, with the instructions, and reacts to the comment", async () => {
    const issue = f.linear.store.addIssue({ team: 'ENG', title: 'Add dark mode' });
    const pull = openAgentPull(f.github.state, f.web, { identifier: issue.identifier, issueId: issue.id, mappingKey: 'ENG' });
    f.github.state.setPermission('acme', 'web', 'writer', 'write');
    const body = '/ai-implement please add tests';
    const commentId = addPrComment(f.github.state, f.web, pull.number, 'writer', body);
    const event = issueCommentEvent(f.web, { prNumber: pull.number, commentId, body, login: 'writer' });

    await f.deliver('issue_comment', event);
    // GitHub redelivers with a new id; the second sight changes nothing.
    await f.deliver('issue_comment', event);

    const runs = (await f.runs()).filter((r) => r.issueId === issue.id);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ phase: 'gap-fill', branch: pull.headRef, prNumber: pull.number, instructions: 'please add tests', mappingKey: 'ENG', triggerSource: 'pr-comment', status: 'launching' });
    expect(f.dispatched.filter((id) => id === runs[0]!.id)).toHaveLength(1);
    const reactions = f.github.state.reactions.filter((r) => r.commentId === commentId);
    expect(reactions.map((r) => r.content)).toEqual(['eyes']);
  });

  it('starts the run when the trigger comment was deleted before the reaction (GitHub answers 404)', async () => {
    const issue = f.linear.store.addIssue({ team: 'ENG', title: 'Deleted comment' });
    const pull = openAgentPull(f.github.state, f.web, { identifier: issue.identifier, issueId: issue.id, mappingKey: 'ENG' });
    f.github.state.setPermission('acme', 'web', 'writer', 'write');
    const commentId = addPrComment(f.github.state, f.web, pull.number, 'writer', '/ai-implement go');
    // Deleted between the webhook and our reaction.
    f.github.state.issueComments.splice(f.github.state.issueComments.findIndex((c) => c.id === commentId), 1);

    await f.deliver('issue_comment', issueCommentEvent(f.web, { prNumber: pull.number, commentId, body: '/ai-implement go', login: 'writer' }));

    const runs = (await f.runs()).filter((r) => r.issueId === issue.id);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ phase: 'gap-fill', instructions: 'go', status: 'launching' });
    expect(f.github.state.reactions.filter((r) => r.commentId === commentId)).toHaveLength(0);
  });

  it('starts the run when the reactions API fails (502)', async () => {
    const issue = f.linear.store.addIssue({ team: 'ENG', title: 'Reactions down' });
    const pull = openAgentPull(f.github.state, f.web, { identifier: issue.identifier, issueId: issue.id, mappingKey: 'ENG' });
    f.github.state.setPermission('acme', 'web', 'writer', 'write');
    const commentId = addPrComment(f.github.state, f.web, pull.number, 'writer', '/ai-implement go');
    f.github.server.injectFault({ kind: 'error', status: 502, path: '/reactions' });
    try {
      await f.deliver('issue_comment', issueCommentEvent(f.web, { prNumber: pull.number, commentId, body: '/ai-implement go', login: 'writer' }));
    } finally {
      f.github.server.clearFaults();
    }
    expect((await f.runs()).filter((r) => r.issueId === issue.id && r.phase === 'gap-fill')).toHaveLength(1);
  });

  it('finds the ticket from the branch name when the PR has no metadata marker', async () => {
    const issue = f.linear.store.addIssue({ team: 'ENG', title: 'Branch only' });
    const pull = openAgentPull(f.github.state, f.web, { identifier: issue.identifier, issueId: issue.id, mappingKey: 'ENG', marker: false });
    f.github.state.setPermission('acme', 'web', 'admin-user', 'admin');
    const commentId = addPrComment(f.github.state, f.web, pull.number, 'admin-user', '/ai-implement\nfix the lint');
    await f.deliver('issue_comment', issueCommentEvent(f.web, { prNumber: pull.number, commentId, body: '/ai-implement\nfix the lint', login: 'admin-user' }));
    const [run] = (await f.runs()).filter((r) => r.issueId === issue.id);
    expect(run).toMatchObject({ phase: 'gap-fill', identifier: issue.identifier, branch: pull.headRef, instructions: 'fix the lint' });
  });

  it('answers a reader politely and starts nothing', async () => {
    const issue = f.linear.store.addIssue({ team: 'ENG', title: 'Reader' });
    const pull = openAgentPull(f.github.state, f.web, { identifier: issue.identifier, issueId: issue.id, mappingKey: 'ENG' });
    f.github.state.setPermission('acme', 'web', 'reader', 'read');
    const commentId = addPrComment(f.github.state, f.web, pull.number, 'reader', '/ai-implement do it');
    const event = issueCommentEvent(f.web, { prNumber: pull.number, commentId, body: '/ai-implement do it', login: 'reader' });
    await f.deliver('issue_comment', event);
    await f.deliver('issue_comment', event);
    expect((await f.runs()).filter((r) => r.issueId === issue.id)).toHaveLength(0);
    const replies = f.github.state.issueComments.filter((c) => c.issueNumber === pull.number && c.user.type === 'Bot');
    expect(replies).toHaveLength(1);
    expect(replies[0]?.body).toContain('Only people with write access');
    expect(f.github.state.reactions.filter((r) => r.commentId === commentId)).toHaveLength(0);
  });

  it('ignores bots, the app itself, edits and deletions without a single API call', async () => {
    const issue = f.linear.store.addIssue({ team: 'ENG', title: 'Bots' });
    const pull = openAgentPull(f.github.state, f.web, { identifier: issue.identifier, issueId: issue.id, mappingKey: 'ENG' });
    f.github.state.setPermission('acme', 'web', 'writer', 'write');
    f.github.server.clearRequests();
    await f.deliver('issue_comment', issueCommentEvent(f.web, { prNumber: pull.number, commentId: 901, body: '/ai-implement go', login: 'renovate[bot]', userType: 'Bot' }));
    await f.deliver('issue_comment', issueCommentEvent(f.web, { prNumber: pull.number, commentId: 902, body: '/ai-implement go', login: `${f.github.appSlug}[bot]`, userType: 'Bot' }));
    await f.deliver('issue_comment', issueCommentEvent(f.web, { prNumber: pull.number, commentId: 903, body: '/ai-implement go', login: 'writer', action: 'edited' }));
    await f.deliver('issue_comment', issueCommentEvent(f.web, { prNumber: pull.number, commentId: 904, body: '/ai-implement go', login: 'writer', action: 'deleted' }));
    await f.deliver('issue_comment', issueCommentEvent(f.web, { prNumber: pull.number, commentId: 905, body: '/ai-implement go', login: 'writer', onPullRequest: false }));
    expect((await f.runs()).filter((r) => r.issueId === issue.id)).toHaveLength(0);
    expect(f.github.server.requests).toHaveLength(0);
  });

  it('explains why nothing happened on a PR that belongs to no mapping', async () => {
    const other = { owner: 'acme', repo: 'unmapped', installationId: f.github.state.requireRepo('acme', 'unmapped').installationId };
    const pull = openAgentPull(f.github.state, other, { identifier: 'ENG-999', issueId: 'x', mappingKey: 'ENG' });
    f.github.state.setPermission('acme', 'unmapped', 'writer', 'write');
    const commentId = addPrComment(f.github.state, other, pull.number, 'writer', '/ai-implement go');
    const before = (await f.runs()).length;
    await f.deliver('issue_comment', issueCommentEvent(other, { prNumber: pull.number, commentId, body: '/ai-implement go', login: 'writer' }));
    expect((await f.runs()).length).toBe(before);
    const reply = f.github.state.issueComments.find((c) => c.issueNumber === pull.number && c.user.type === 'Bot' && c.repoId === f.github.state.requireRepo('acme', 'unmapped').id);
    expect(reply?.body).toContain('no AI-Implement project maps acme/unmapped');
  });

  it('tells the PR when a gap-fill run is already working on it, and starts no second one', async () => {
    const issue = f.linear.store.addIssue({ team: 'ENG', title: 'Busy' });
    const pull = openAgentPull(f.github.state, f.web, { identifier: issue.identifier, issueId: issue.id, mappingKey: 'ENG' });
    f.github.state.setPermission('acme', 'web', 'writer', 'write');
    for (const text of ['/ai-implement first', '/ai-implement second']) {
      const commentId = addPrComment(f.github.state, f.web, pull.number, 'writer', text);
      await f.deliver('issue_comment', issueCommentEvent(f.web, { prNumber: pull.number, commentId, body: text, login: 'writer' }));
    }
    const runs = (await f.runs()).filter((r) => r.issueId === issue.id);
    expect(runs).toHaveLength(1);
    expect(runs[0]?.instructions).toBe('first');
    const replies = f.github.state.issueComments.filter((c) => c.issueNumber === pull.number && c.user.type === 'Bot' && c.repoId === f.github.state.requireRepo('acme', 'web').id);
    expect(replies.map((c) => c.body).join('\n')).toContain('already working on this pull request');
  });
});
