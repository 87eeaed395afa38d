import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src/domain/run.js';
import { statusCommentKey } from '../../src/orchestrator/status-comment.js';
import { linearCommentId } from '../../src/trackers/linear/linear-comment-id.js';
import { startHarness, type OrchestratorHarness } from '../support/orchestrator-harness.js';

/**
 * The comment a ticket keeps once its run ended, end to end: a run dispatched
 * by the real composition root, a result posted to `/runner/result` with a
 * real token, and the comment read back from the Linear emulator through the
 * real SDK's writes.
 */
describe('the final ticket comment (real composition root, Linear emulator)', () => {
  let h: OrchestratorHarness;

  beforeAll(async () => {
    h = await startHarness();
    h.github.state.addRepo({ owner: 'acme', name: 'usage-app', defaultBranch: 'main', files: { 'README.md': '# app\n' } });
    h.github.state.addWorkflow('acme', 'usage-app', {
      file: 'claude-implement.yml',
      name: 'AI-Implement',
      runName: 'AI-Implement ${{ inputs.run_id }}',
      inputs: { run_id: { required: true }, orchestrator_url: { required: true } },
    });
    h.linear.store.addTeam({ key: 'USE' });
    h.linear.store.addLabel({ name: 'AI-Implement', team: null });
    await h.addMapping({ teamKey: 'USE', owner: 'acme', repo: 'usage-app', defaultBranch: 'main', executionMode: 'github-actions' });
  }, 60_000);

  afterAll(async () => {
    await h?.stop();
  });

  async function dispatched(title: string): Promise<{ run: Run; identifier: string }> {
    const issue = h.linear.store.addIssue({ team: 'USE', title, labels: ['AI-Implement'] });
    await h.cycle();
    const [run] = await h.runsOf(issue.identifier);
    if (!run) throw new Error('no run was dispatched');
    return { run, identifier: issue.identifier };
  }

  async function postResult(run: Run, body: Record<string, unknown>): Promise<number> {
    const { resultToken } = h.orchestrator.services.tokens!.mint(run.id, run.attempt, run.deadlineAt!);
    const res = await fetch(`${h.orchestrator.url}/runner/result`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${resultToken}` },
      body: JSON.stringify({ runId: run.id, attempt: run.attempt, ...body }),
    });
    return res.status;
  }

  // Found by the id the adapter derives from ticket + key: the emulator drops the
  // hidden markers that used to identify it, as Linear's rich text may.
  function statusComment(identifier: string, run: Run): string {
    const comment = h.linear.commentsOn(identifier).find((c) => c.id === linearCommentId(run.issueId, statusCommentKey(run.id)));
    if (!comment) throw new Error('no status comment');
    return comment.body;
  }

  it('states the agent, model, tokens and cost of a finished run', async () => {
    const { run, identifier } = await dispatched('Add usage to the comment');
    const status = await postResult(run, {
      outcome: 'succeeded',
      // The run's own repository on the configured GitHub host (the emulator's, on loopback).
      prUrl: `${h.github.url}/acme/usage-app/pull/3`,
      prNumber: 3,
      costUsd: 0.0421,
      tokens: { input: 12_345, output: 2_345, cacheRead: 10_000 },
      agent: { runtime: 'claude-code', model: 'claude-sonnet-4-5', provider: 'anthropic', fallbackFrom: ['codex'] },
    });
    expect(status).toBe(200);
    const body = statusComment(identifier, run);
    expect(body).toContain(`Pull request: ${h.github.url}/acme/usage-app/pull/3`);
    expect(body).toContain('Done by claude-code (claude-sonnet-4-5, after codex gave up) — 12,345 in / 2,345 out / 10,000 cache read tokens, $0.0421');
  });

  it('carries the agent CLI’s own reason on failure: clean text, secrets redacted, in a code block', async () => {
    const { run, identifier } = await dispatched('Fail with a reason');
    const status = await postResult(run, {
      outcome: 'failed',
      failedStep: 'implement',
      failureReason: `the agent exited with 1\n\x1b[1m\x1b[31m✗\x1b[0m API Error: 401 invalid x-api-key ${h.linear.apiKey}\r\n\x1b]8;;https://status.example\x1b\\status page\x1b]8;;\x1b\\`,
      tokens: { input: 800, output: 0 },
      agent: { runtime: 'opencode', model: 'anthropic/claude-sonnet-4-5' },
    });
    expect(status).toBe(200);
    const body = statusComment(identifier, run);
    expect(body).toContain('Failure (step `implement`): the agent exited with 1\n```\n✗ API Error: 401 invalid x-api-key [REDACTED]\nstatus page\n```');
    expect(body).toContain('Ran opencode (anthropic/claude-sonnet-4-5) — 800 in / 0 out tokens, cost unknown');
    expect(body).not.toContain('\x1b');
    expect(body).not.toContain(h.linear.apiKey);
    // The run page and /api read the same cleaned record.
    expect((await h.orchestrator.store.runs.getRun(run.id))?.failureReason).toBe('the agent exited with 1\n✗ API Error: 401 invalid x-api-key [REDACTED]\nstatus page');
  });
});
