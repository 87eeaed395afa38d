import { neutraliseHiddenMarkup } from '../../domain/neutralise-markup.js';
import { buildAgentPrompt } from '../build-prompt.js';
import { ensurePullComment } from '../github-pulls.js';
import { readAgentGuidance } from '../runtimes/read-agent-guidance.js';
import { describeAgentFailure } from '../run-agent-step.js';
import type { StepModule } from '../step-types.js';
import { githubTarget } from './open-pr.js';

/**
 * A second, read-only agent pass over the diff; its gap analysis is posted on
 * the PR (one comment per run). The agent read the ticket, so its text is
 * neutralised: only our own marker may key the comment.
 */
export const reviewStep: StepModule = {
  title: 'Review the change',
  async run(ctx) {
    const number = ctx.state.pr?.number ?? ctx.job.repo.prNumber;
    if (ctx.job.shadow || number === undefined) return { status: 'skipped', summary: 'no pull request to review' };
    const diff = await ctx.git(['diff', `origin/${ctx.job.repo.defaultBranch}...HEAD`]);
    const { guidance } = await readAgentGuidance(ctx.repoDir, ctx.job.phase);
    const result = await ctx.runAgent({ prompt: buildAgentPrompt(ctx.job, 'review', { guidance, diff: diff.stdout }), mode: 'review' });
    if (result.exitCode !== 0 || result.timedOut || result.stalled) return { status: 'failed', summary: describeAgentFailure(result, 'reviewing') };
    if (result.text.trim() === '') return { status: 'failed', summary: `${result.runtime} wrote no review` };
    const marker = `<!-- ai-implement:review ${ctx.job.runId} -->`;
    const comment = await ensurePullComment(await githubTarget(ctx), number, marker, `### AI-Implement review\n\n${neutraliseHiddenMarkup(result.text.trim())}`);
    return { status: 'passed', summary: 'review posted on the pull request', output: { commentId: comment.id, url: comment.url } };
  },
};
