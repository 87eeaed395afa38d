import { buildAgentPrompt } from '../build-prompt.js';
import { readAgentGuidance } from '../runtimes/read-agent-guidance.js';
import { describeAgentFailure } from '../run-agent-step.js';
import type { StepModule } from '../step-types.js';
import { commitChanges, commitMessage } from './commit-changes.js';

/**
 * Runs the agent on the ticket (plus instructions and review comments when the
 * job carries them) and commits the result. No change at all is a failure
 * unless `with.allowEmpty` is set: a PR with nothing in it helps nobody.
 */
export const implementStep: StepModule = {
  title: 'Implement the ticket',
  async run(ctx) {
    const { guidance } = await readAgentGuidance(ctx.repoDir, ctx.job.phase);
    const result = await ctx.runAgent({ prompt: buildAgentPrompt(ctx.job, 'implement', { guidance }), mode: 'edit' });
    if (result.exitCode !== 0 || result.timedOut || result.stalled) return { status: 'failed', summary: describeAgentFailure(result, 'implementing') };
    const { committed, commits } = await commitChanges(ctx, commitMessage(ctx));
    const output = { committed, commits };
    if (commits === 0 && ctx.with.allowEmpty !== true) return { status: 'failed', summary: 'the agent made no changes', output };
    return { status: 'passed', summary: `implemented ${ctx.job.ticket.identifier} in ${commits} commit(s) with ${result.runtime} (${result.model})`, output };
  },
};
