import type { StepModule } from '../step-types.js';

/** Gathers what the run produced into one output, for the result and the panel; never fails the run. */
export const reportStep: StepModule = {
  title: 'Report',
  async run(ctx) {
    const { state } = ctx;
    const output = {
      commits: state.commits,
      pushed: state.pushed === true,
      ...(state.pr ? { pr: state.pr } : {}),
      ...(state.plan !== undefined ? { planChars: state.plan.length } : {}),
      ...(state.costUsd !== undefined ? { costUsd: state.costUsd } : {}),
      ...(state.tokens ? { tokens: state.tokens } : {}),
      checksFailing: state.verifyFailures.map((f) => f.command),
    };
    const usage = state.tokens ? `, ${state.tokens.input} input / ${state.tokens.output} output tokens` : '';
    const cost = state.costUsd !== undefined ? `, $${state.costUsd.toFixed(4)}` : '';
    return { status: 'passed', summary: `${state.commits} commit(s)${state.pr ? `, PR ${state.pr.url}` : ''}${usage}${cost}`, output };
  },
};
