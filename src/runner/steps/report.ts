import { parseShortstat, type DiffStats } from '../diff-stats.js';
import type { StepContext, StepModule } from '../step-types.js';

/** The branch against its base; undefined when git cannot tell (no clone, no base ref), which a report must survive. */
async function diffStats(ctx: StepContext): Promise<DiffStats | undefined> {
  const base = `origin/${ctx.job.repo.defaultBranch}`;
  try {
    const result = await ctx.git(['diff', '--shortstat', `${base}...HEAD`]);
    if (result.exitCode !== 0) return undefined;
    const counts = parseShortstat(result.stdout);
    return counts ? { base, ...counts } : undefined;
  } catch (error) {
    ctx.log.line(`diff stats unavailable: ${(error as Error).message}`);
    return undefined;
  }
}

/** Gathers what the run produced into one output, for the result, the panel and the run report; never fails the run. */
export const reportStep: StepModule = {
  title: 'Report',
  async run(ctx) {
    const { state } = ctx;
    const diff = await diffStats(ctx);
    const output = {
      commits: state.commits,
      pushed: state.pushed === true,
      ...(state.pr ? { pr: state.pr } : {}),
      ...(state.plan !== undefined ? { planChars: state.plan.length } : {}),
      ...(state.costUsd !== undefined ? { costUsd: state.costUsd } : {}),
      ...(state.tokens ? { tokens: state.tokens } : {}),
      ...(diff ? { diffStats: diff } : {}),
      checksFailing: state.verifyFailures.map((f) => f.command),
    };
    const usage = state.tokens ? `, ${state.tokens.input} input / ${state.tokens.output} output tokens` : '';
    const cost = state.costUsd !== undefined ? `, $${state.costUsd.toFixed(4)}` : '';
    return { status: 'passed', summary: `${state.commits} commit(s)${state.pr ? `, PR ${state.pr.url}` : ''}${usage}${cost}`, output };
  },
};
