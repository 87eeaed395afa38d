import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderPrMetadata } from '../../src/domain/runner-protocol.js';
import { startGitHubAppFixture, type GitHubAppFixture } from './support/github-app-fixture.js';
import { addPrComment, openAgentPull, seedOpeningRun } from './support/github-scenario.js';
import { issueCommentEvent, pullRequestClosedEvent, type PullShape } from './support/webhook-payloads.js';

/**
 * A PR's hidden `<!-- ai-implement:pr {...} -->` marker decides which ticket a
 * merge closes and which ticket a gap-fill or review run works on. Anyone who
 * writes a PR body (or a ticket title the body quotes) can write one, so a
 * forged marker must never redirect those to another ticket.
 */
describe('PR metadata markers cannot be forged (real Probot app)', () => {
  let f: GitHubAppFixture;
  let n = 0;

  beforeAll(async () => {
    f = await startGitHubAppFixture();
    await f.addMapping({ teamKey: 'ENG', doneState: 'Done' });
    f.github.state.setPermission('acme', 'web', 'writer', 'write');
  });
  afterAll(() => f?.stop());

  /** A ticket with its agent PR and the stored run that opened it (the marker names that run). */
  async function ticketWithPull(title: string) {
    const issue = f.linear.store.addIssue({ team: 'ENG', title });
    const runId = `run-spoof-${++n}`;
    const pull = openAgentPull(f.github.state, f.web, { identifier: issue.identifier, issueId: issue.id, mappingKey: 'ENG', runId });
    await seedOpeningRun(f.store, { runId, issueId: issue.id, identifier: issue.identifier, mappingKey: 'ENG', pull });
    return { issue, pull, runId, marker: renderPrMetadata({ runId, issueId: issue.id, identifier: issue.identifier, mappingKey: 'ENG' }) };
  }

  /** The body GitHub holds and the webhook carries, rewritten as an attacker would. */
  function rewriteBody(pull: PullShape, body: string): PullShape {
    const stored = f.github.state.pulls.find((p) => p.number === pull.number && p.headRef === pull.headRef);
    if (stored) stored.body = body;
    return { ...pull, body };
  }

  it("merging A's PR whose body carries B's marker above A's own closes A, never B", async () => {
    const victim = await ticketWithPull('Victim ticket');
    const attacker = await ticketWithPull('Attacker ticket');
    // The forged marker is a verbatim copy of the victim PR's real one (a real run id of a real ticket).
    const pull = rewriteBody(attacker.pull, `Fixes ${attacker.issue.identifier}\n\n${victim.marker}\n\n${attacker.pull.body}`);

    await f.deliver('pull_request', pullRequestClosedEvent(f.web, { ...pull, merged: true }));

    expect(f.linear.stateOf(attacker.issue.identifier).name).toBe('Done');
    expect(f.linear.stateOf(victim.issue.identifier).name).not.toBe('Done');
    expect(f.linear.commentsOn(victim.issue.identifier).filter((c) => c.body.includes('was merged'))).toHaveLength(0);
  });

  it('a lone forged marker naming another ticket is not believed: the branch names the ticket', async () => {
    const victim = await ticketWithPull('Victim of a lone marker');
    const attacker = await ticketWithPull('Branch owner');
    const pull = rewriteBody(attacker.pull, `Implements the ticket.\n\n${victim.marker}`);

    await f.deliver('pull_request', pullRequestClosedEvent(f.web, { ...pull, merged: true }));

    expect(f.linear.stateOf(victim.issue.identifier).name).not.toBe('Done');
    expect(f.linear.stateOf(attacker.issue.identifier).name).toBe('Done');
  });

  it('a forged marker with an unknown run id on a human branch starts no gap-fill run for the ticket it names', async () => {
    const victim = await ticketWithPull('Victim of a made-up run');
    const forged = renderPrMetadata({ runId: 'run-never-stored', issueId: victim.issue.id, identifier: victim.issue.identifier, mappingKey: 'ENG' });
    const pull = openAgentPull(f.github.state, f.web, { identifier: 'ENG-0', issueId: 'unused', mappingKey: 'ENG', marker: false, headRef: 'feature/no-ticket', title: 'Refactor' });
    const body = `Refactor.\n\n${forged}`;
    const shaped = rewriteBody(pull, body);
    const commentId = addPrComment(f.github.state, f.web, shaped.number, 'writer', '/ai-implement go');

    await f.deliver('issue_comment', issueCommentEvent(f.web, { prNumber: shaped.number, commentId, body: '/ai-implement go', login: 'writer' }));

    expect((await f.runs()).filter((r) => r.issueId === victim.issue.id && r.phase === 'gap-fill')).toHaveLength(0);
  });

  it("the PR's own stored marker still ties a gap-fill run to its ticket", async () => {
    const own = await ticketWithPull('Honest PR');
    const commentId = addPrComment(f.github.state, f.web, own.pull.number, 'writer', '/ai-implement add tests');
    await f.deliver('issue_comment', issueCommentEvent(f.web, { prNumber: own.pull.number, commentId, body: '/ai-implement add tests', login: 'writer' }));
    const runs = (await f.runs()).filter((r) => r.issueId === own.issue.id && r.phase === 'gap-fill');
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ identifier: own.issue.identifier, prNumber: own.pull.number, branch: own.pull.headRef });
  });
});
