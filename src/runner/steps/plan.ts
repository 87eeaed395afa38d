import { buildAgentPrompt } from '../build-prompt.js';
import { readAgentGuidance } from '../runtimes/read-agent-guidance.js';
import { describeAgentFailure } from '../run-agent-step.js';
import type { StepModule } from '../step-types.js';

/** A read-only agent pass; its answer becomes the run's `plan`, which the orchestrator posts to the ticket. */
export const planStep: StepModule = {
  title: 'Plan the change',
  async run(ctx) {
    const { guidance } = await readAgentGuidance(ctx.repoDir, ctx.job.phase);
    const result = await ctx.runAgent({ prompt: buildAgentPrompt(ctx.job, 'plan', { guidance }), mode: 'plan' });
    if (result.exitCode !== 0 || result.timedOut || result.stalled) return { status: 'failed', summary: describeAgentFailure(result, 'planning') };
    if (result.text.trim() === '') return { status: 'failed', summary: `${result.runtime} wrote no plan` };
    ctx.state.plan = result.text.trim();
    return { status: 'passed', summary: 'plan written', output: { chars: ctx.state.plan.length } };
  },
};
