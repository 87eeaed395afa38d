import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../github/support/github-scenario.js';
import { startHarness, type OrchestratorHarness } from '../support/orchestrator-harness.js';

/** A run that can only fail says why on the ticket, in words that name the fix, before any agent starts. */
describe('an agent that cannot start is refused with its reason on the ticket', () => {
  let h: OrchestratorHarness;
  beforeAll(async () => {
    h = await startHarness();
    h.github.state.addRepo({ owner: 'acme', name: 'refused', defaultBranch: 'main' });
    h.linear.store.addTeam({ key: 'RFS' });
    h.linear.store.addLabel({ name: 'AI-Implement', team: null });
  });
  afterAll(() => h?.stop());

  it('names the provider the runtime cannot use, never just an exit code', async () => {
    await h.addMapping({ teamKey: 'RFS', owner: 'acme', repo: 'refused', defaultBranch: 'main', executionMode: 'local', agentRuntime: 'codex', provider: 'anthropic' });
    const issue = h.linear.store.addIssue({ team: 'RFS', title: 'Wrong provider', labels: ['AI-Implement'] });
    await h.cycle();
    const [run] = await h.runsOf(issue.identifier);
    const finished = await h.waitForTerminal(run!.id);
    const reason = 'codex cannot use the provider "anthropic"; it works with openai.';
    expect(finished).toMatchObject({ status: 'failed', failedStep: 'implement' });
    expect(finished.failureReason).toContain(reason);
    const comment = await waitFor(() => h.linear.commentsOn(issue.identifier).find((c) => c.body.includes(reason)), 5_000, 'the refusal on the ticket');
    expect(comment.body).not.toMatch(/exited with (code )?127/);
  });
});
