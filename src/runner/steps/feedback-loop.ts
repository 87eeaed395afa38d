import { buildAgentPrompt } from '../build-prompt.js';
import { readAgentGuidance } from '../runtimes/read-agent-guidance.js';
import { describeAgentFailure } from '../run-agent-step.js';
import type { StepModule } from '../step-types.js';
import { commitChanges, commitMessage } from './commit-changes.js';
import { runChecks } from './verify.js';

/**
 * Hands the verify failures back to the agent and re-runs the same checks, at
 * most `maxIterations` times (the job's limit; `with.maxIterations` may lower
 * it). Each round is reported as a sub-step so the panel shows the attempts.
 */
export const feedbackLoopStep: StepModule = {
  title: 'Fix failing checks',
  async run(ctx) {
    if (ctx.state.verifyFailures.length === 0) return { status: 'skipped', summary: 'checks passed, no feedback needed' };
    const configured = typeof ctx.with.maxIterations === 'number' ? ctx.with.maxIterations : Infinity;
    const limit = Math.max(1, Math.min(ctx.job.agent.maxIterations, configured));
    const { guidance } = await readAgentGuidance(ctx.repoDir, ctx.job.phase);
    for (let round = 1; round <= limit; round++) {
      const id = `feedback-${round}`;
      const startedAt = ctx.now().toISOString();
      await ctx.report({ id, type: 'feedback-iteration', status: 'running', title: `Fix round ${round}`, startedAt });
      const prompt = buildAgentPrompt(ctx.job, 'feedback', { guidance, failures: ctx.state.verifyFailures });
      const result = await ctx.runAgent({ prompt, mode: 'edit' });
      await commitChanges(ctx, commitMessage(ctx, `fix checks, round ${round}`));
      const failures = result.timedOut ? ctx.state.verifyFailures : await runChecks(ctx, ctx.state.verifyCommands);
      const status = failures.length === 0 ? 'passed' : 'failed';
      await ctx.report({ id, type: 'feedback-iteration', status, startedAt, finishedAt: ctx.now().toISOString(), output: { failed: failures.map((f) => f.command) } });
      if (result.timedOut || result.stalled || result.refused !== undefined) return { status: 'failed', summary: describeAgentFailure(result, `fixing the checks (round ${round})`) };
      if (failures.length === 0) return { status: 'passed', summary: `checks pass after ${round} fix round(s)`, output: { rounds: round } };
    }
    return { status: 'failed', summary: `checks still failing after ${limit} fix round(s)`, output: { rounds: limit } };
  },
};
