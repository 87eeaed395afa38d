import { LinearClient } from '@linear/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusCommentKey } from '../../src/orchestrator/status-comment.js';
import { linearCommentId } from '../../src/trackers/linear/linear-comment-id.js';
import { startHarness, type OrchestratorHarness } from '../support/orchestrator-harness.js';

const PLANNED = [
  { id: 'checkout', type: 'git.checkout', title: 'Check out' },
  { id: 'agent', type: 'agent.run', title: 'Implement' },
  { id: 'pr', type: 'github.pr', title: 'Open the pull request' },
];
const UPDATES = 50;

/**
 * Linear is not known to keep HTML comments in comment bodies, and the
 * emulator drops them. A run that reports progress 50 times (each past the
 * 5 s throttle, so each one writes) must still leave exactly one status
 * comment on the ticket. Run through the real composition root, the runner
 * protocol with minted tokens, and the real SDK against the emulator.
 */
describe('one status comment per run while Linear drops hidden markers', () => {
  let h: OrchestratorHarness;

  beforeAll(async () => {
    h = await startHarness();
    h.github.state.addRepo({ owner: 'acme', name: 'flood-app', defaultBranch: 'main', files: { 'README.md': '# app\n' } });
    h.github.state.addWorkflow('acme', 'flood-app', {
      file: 'claude-implement.yml',
      name: 'AI-Implement',
      runName: 'AI-Implement ${{ inputs.run_id }}',
      inputs: { run_id: { required: true }, orchestrator_url: { required: true } },
    });
    h.linear.store.addTeam({ key: 'FLD' });
    h.linear.store.addLabel({ name: 'AI-Implement', team: null });
    await h.addMapping({ teamKey: 'FLD', owner: 'acme', repo: 'flood-app', defaultBranch: 'main', executionMode: 'github-actions' });
  }, 60_000);

  afterAll(async () => {
    await h?.stop();
  });

  it('drops hidden markers in this harness, as the risk assumes', async () => {
    const issue = h.linear.store.addIssue({ team: 'FLD', title: 'Marker probe' });
    const sdk = new LinearClient({ apiKey: h.linear.apiKey, apiUrl: h.linear.apiUrl });
    await sdk.createComment({ issueId: issue.id, body: 'Probe.\n\n<!-- ai-implement:run-status:probe -->' });
    expect(h.linear.commentsOn(issue.identifier).map((c) => c.body)).toEqual(['Probe.']);
  });

  it(`leaves exactly one status comment after ${UPDATES} progress updates and the result`, async () => {
    const issue = h.linear.store.addIssue({ team: 'FLD', title: 'Report a lot', labels: ['AI-Implement'] });
    await h.cycle();
    const [run] = await h.runsOf(issue.identifier);
    if (!run) throw new Error('no run was dispatched');
    const { progressToken, resultToken } = h.orchestrator.services.tokens!.mint(run.id, run.attempt, run.deadlineAt!);
    const post = (path: string, token: string, body: Record<string, unknown>) =>
      fetch(`${h.orchestrator.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ runId: run.id, attempt: run.attempt, ...body }),
      });
    const before = h.linear.operations.length;

    for (let n = 1; n <= UPDATES; n += 1) {
      // Past the status comment's 5 s throttle, so every report writes the comment.
      h.advance(6_000);
      const steps = [
        { id: 'checkout', type: 'git.checkout', status: 'passed' },
        { id: 'agent', type: 'agent.run', status: 'running', logExcerpt: `turn ${n}` },
        { id: `agent.${n}`, type: 'agent.turn', status: 'passed', parentId: 'agent', title: `Turn ${n}` },
      ];
      const res = await post('/runner/progress', progressToken, { steps, ...(n === 1 ? { plannedSteps: PLANNED } : {}) });
      expect(res.status, `report ${n}`).toBe(200);
      // A failed comment write comes back as a warning; none is allowed.
      expect(await res.json(), `report ${n}`).not.toHaveProperty('warnings');
    }
    const prUrl = `${h.github.url}/acme/flood-app/pull/9`;
    const result = await post('/runner/result', resultToken, { outcome: 'succeeded', prUrl, prNumber: 9 });
    expect(result.status).toBe(200);

    const comments = h.linear.commentsOn(issue.identifier);
    expect(comments).toHaveLength(1);
    const [comment] = comments;
    expect(comment?.id).toBe(linearCommentId(issue.id, statusCommentKey(run.id)));
    expect(comment?.body).toContain(`Turn ${UPDATES}`);
    expect(comment?.body).toContain(`Pull request: ${prUrl}`);
    expect(comment?.body).not.toContain('ai-implement:');
    // Every report reached Linear and found the same comment: one create, then edits.
    const writes = h.linear.operations.slice(before).flatMap((o) => o.rootFields).filter((f) => f === 'commentCreate' || f === 'commentUpdate');
    expect(writes.filter((f) => f === 'commentCreate')).toHaveLength(0);
    expect(writes.filter((f) => f === 'commentUpdate').length).toBeGreaterThanOrEqual(UPDATES);
  });
});
