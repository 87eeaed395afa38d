import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src/domain/run.js';
import { listReachableRepos, unreachableMappings } from '../../src/github/reachable-repos.js';
import { startGitHubAppFixture, type GitHubAppFixture } from './support/github-app-fixture.js';
import { openAgentPull } from './support/github-scenario.js';
import { installationEvent, installationRepositoriesEvent, pullRequestClosedEvent, workflowRunEvent } from './support/webhook-payloads.js';

describe('PR lifecycle, workflow runs and installations (real Probot app)', () => {
  let f: GitHubAppFixture;

  beforeAll(async () => {
    f = await startGitHubAppFixture();
    await f.addMapping({ teamKey: 'ENG', doneState: 'Done' });
  });
  afterAll(() => f?.stop());

  /** A live implement run of the ticket, dispatched to GitHub Actions. */
  async function liveRun(issueId: string, identifier: string, status: Run['status'] = 'launching'): Promise<Run> {
    const claim = await f.store.runs.claimTicket({ issueId, identifier, tracker: 'linear', mappingKey: 'ENG', phase: 'implement', backend: 'github-actions', runnerMode: 'default', triggerSource: 'poll' });
    if (!claim.claimed) throw new Error('not claimed');
    if (status === 'claimed') return claim.run;
    return f.store.runs.updateRun(claim.run.id, { status, upstreamId: `${9000 + Math.floor(Math.random() * 1e6)}` });
  }

  it('merged: the ticket moves to done, in-flight runs are cancelled upstream and the dedup entry is cleared', async () => {
    const issue = f.linear.store.addIssue({ team: 'ENG', title: 'Merge me' });
    const pull = openAgentPull(f.github.state, f.web, { identifier: issue.identifier, issueId: issue.id, mappingKey: 'ENG' });
    const run = await liveRun(issue.id, issue.identifier);
    await f.store.dedup.put(issue.id, { identifier: issue.identifier, runId: run.id, dispatchedAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 3_600_000).toISOString() });

    const event = pullRequestClosedEvent(f.web, { ...pull, merged: true });
    await f.deliver('pull_request', event);
    await f.deliver('pull_request', event); // a retry changes nothing more

    expect(f.linear.stateOf(issue.identifier).name).toBe('Done');
    expect(await f.store.dedup.get(issue.id)).toBeUndefined();
    expect((await f.store.runs.getRun(run.id))?.status).toBe('cancelled');
    expect(f.backend.cancelled).toEqual([run.upstreamId]);
    expect(f.linear.commentsOn(issue.identifier).filter((c) => c.body.includes('was merged'))).toHaveLength(1);
  });

  it('closed unmerged: in-flight runs are cancelled, the ticket is told, and it is not done', async () => {
    const issue = f.linear.store.addIssue({ team: 'ENG', title: 'Close me' });
    const pull = openAgentPull(f.github.state, f.web, { identifier: issue.identifier, issueId: issue.id, mappingKey: 'ENG' });
    const run = await liveRun(issue.id, issue.identifier, 'running');
    await f.deliver('pull_request', pullRequestClosedEvent(f.web, { ...pull, merged: false }));
    expect((await f.store.runs.getRun(run.id))?.status).toBe('cancelled');
    expect(f.linear.stateOf(issue.identifier).name).not.toBe('Done');
    expect(f.linear.commentsOn(issue.identifier).map((c) => c.body).join('\n')).toContain('closed without merging');
  });

  it('ignores a closed PR that is not ours', async () => {
    const issue = f.linear.store.addIssue({ team: 'ENG', title: 'Human PR' });
    const run = await liveRun(issue.id, issue.identifier);
    const pull = openAgentPull(f.github.state, f.web, { identifier: issue.identifier, issueId: issue.id, mappingKey: 'ENG', marker: false, headRef: 'feature/human-work', title: `${issue.identifier} by hand` });
    await f.deliver('pull_request', pullRequestClosedEvent(f.web, { ...pull, merged: true }));
    expect((await f.store.runs.getRun(run.id))?.status).toBe('launching');
  });

  it('workflow_run: in_progress marks the run running; completed without a result settles it at once', async () => {
    const issue = f.linear.store.addIssue({ team: 'ENG', title: 'Job dies' });
    const run = await liveRun(issue.id, issue.identifier);
    const id = Number(run.upstreamId);
    await f.deliver('workflow_run', workflowRunEvent(f.web, { action: 'in_progress', id, displayTitle: `AI-Implement ${run.id}` }));
    expect((await f.store.runs.getRun(run.id))?.status).toBe('running');
    await f.deliver('workflow_run', workflowRunEvent(f.web, { action: 'completed', id, displayTitle: `AI-Implement ${run.id}`, conclusion: 'failure' }));
    const settled = await f.store.runs.getRun(run.id);
    expect(settled).toMatchObject({ status: 'failed', failedStep: 'runner' });
    expect(settled?.failureReason).toContain('workflow run concluded failure');
  });

  it('workflow_run: matched by upstream id when the title is custom; a job cancelled upstream fails the run (a timeout is a try)', async () => {
    const issue = f.linear.store.addIssue({ team: 'ENG', title: 'Job cancelled' });
    const run = await liveRun(issue.id, issue.identifier);
    await f.deliver('workflow_run', workflowRunEvent(f.web, { action: 'completed', id: Number(run.upstreamId), displayTitle: 'Nightly', conclusion: 'cancelled' }));
    const settled = await f.store.runs.getRun(run.id);
    expect(settled).toMatchObject({ status: 'failed', failedStep: 'runner' });
    expect(settled?.failureReason).toContain('workflow run concluded cancelled');
  });

  it('workflow_run: a job of an earlier attempt does not touch the current one', async () => {
    const issue = f.linear.store.addIssue({ team: 'ENG', title: 'Old job' });
    const run = await liveRun(issue.id, issue.identifier);
    await f.deliver('workflow_run', workflowRunEvent(f.web, { action: 'completed', id: 1, displayTitle: `AI-Implement ${run.id}`, conclusion: 'failure' }));
    expect((await f.store.runs.getRun(run.id))?.status).toBe('launching');
  });

  it('workflow_run: a job reporting before its dispatch was recorded is retried, not dropped', async () => {
    const issue = f.linear.store.addIssue({ team: 'ENG', title: 'Early job' });
    const run = await liveRun(issue.id, issue.identifier, 'claimed');
    await expect(f.deliver('workflow_run', workflowRunEvent(f.web, { action: 'completed', id: 4242, displayTitle: `AI-Implement ${run.id}`, conclusion: 'failure' }))).rejects.toThrow(/no recorded workflow run/);
    await f.store.runs.updateRun(run.id, { status: 'launching', upstreamId: '4242' });
    await f.deliver('workflow_run', workflowRunEvent(f.web, { action: 'completed', id: 4242, displayTitle: `AI-Implement ${run.id}`, conclusion: 'failure' }));
    expect((await f.store.runs.getRun(run.id))?.status).toBe('failed');
  });

  it('installation events keep the reachable repositories, so unreachable mappings show', async () => {
    await f.deliver('installation', installationEvent('created', 501, 'acme', ['acme/web', 'acme/api']));
    await f.deliver('installation', installationEvent('created', 502, 'globex', ['globex/site']));
    await f.deliver('installation_repositories', installationRepositoriesEvent('removed', 501, ['acme/web']));
    await f.deliver('installation_repositories', installationRepositoriesEvent('added', 501, ['acme/docs']));
    expect(await listReachableRepos(f.store)).toEqual(['acme/api', 'acme/docs', 'globex/site']);
    expect((await unreachableMappings(f.store, await f.store.mappings.list()))?.map((m) => m.teamKey)).toEqual(['ENG']);
    await f.deliver('installation_repositories', installationRepositoriesEvent('added', 501, ['acme/web']));
    expect(await unreachableMappings(f.store, await f.store.mappings.list())).toEqual([]);
    await f.deliver('installation', installationEvent('suspend', 502, 'globex', []));
    await f.deliver('installation', installationEvent('deleted', 501, 'acme', ['acme/web', 'acme/api', 'acme/docs']));
    expect(await listReachableRepos(f.store)).toEqual([]);
  });
});
