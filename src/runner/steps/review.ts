import { neutraliseHiddenMarkup } from '../../domain/neutralise-markup.js';
import { buildAgentPrompt } from '../build-prompt.js';
import { ensurePullComment } from '../github-pulls.js';
import { readAgentGuidance } from '../runtimes/read-agent-guidance.js';
import { describeAgentFailure } from '../run-agent-step.js';
import type { StepModule } from '../step-types.js';
import { githubTarget } from './open-pr.js';

/** How much of the review travels in the step output (the whole of it is on the PR). */
export const GAP_ANALYSIS_MAX_CHARS = 6_000;

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
    const review = neutraliseHiddenMarkup(result.text.trim());
    const comment = await ensurePullComment(await githubTarget(ctx), number, marker, `### AI-Implement review\n\n${review}`);
    // The run report shows the gap analysis too; its head is enough there, and a progress report has 64 KiB in all.
    const gapAnalysis = ctx.log.redact(review);
    const truncated = gapAnalysis.length > GAP_ANALYSIS_MAX_CHARS;
    return {
      status: 'passed',
      summary: 'review posted on the pull request',
      output: { commentId: comment.id, url: comment.url, gapAnalysis: truncated ? gapAnalysis.slice(0, GAP_ANALYSIS_MAX_CHARS) : gapAnalysis, ...(truncated ? { gapAnalysisTruncated: true } : {}) },
    };
  },
};
