import type { StepModule } from '../step-types.js';

/** Branches the runner created itself; only these may be force-pushed. */
export const OWN_BRANCH_PREFIX = 'ai-implement/';

/**
 * Pushes the work branch. Our own `ai-implement/*` branch is pushed with
 * force-with-lease against the sha seen at clone time (a re-run replaces its
 * earlier attempt, but never someone else's push); any other branch (a
 * human's PR head) gets a plain fast-forward push.
 */
export const pushStep: StepModule = {
  title: 'Push the branch',
  async run(ctx) {
    const { repo, shadow } = ctx.job;
    if (shadow) return { status: 'skipped', summary: 'shadow run: nothing pushed' };
    if (repo.branch === repo.defaultBranch) return { status: 'failed', summary: `refusing to push to the default branch ${repo.defaultBranch}` };
    if (ctx.state.commits === 0) return { status: 'skipped', summary: 'no commits to push' };
    const ref = `refs/heads/${repo.branch}`;
    const own = repo.branch.startsWith(OWN_BRANCH_PREFIX);
    const args = own
      ? ['push', `--force-with-lease=${ref}:${ctx.state.remoteHead ?? ''}`, 'origin', `HEAD:${ref}`]
      : ['push', 'origin', `HEAD:${ref}`];
    const result = await ctx.git(args);
    if (result.exitCode !== 0) return { status: 'failed', summary: `git push of ${repo.branch} failed (exit ${result.exitCode})` };
    ctx.state.pushed = true;
    return { status: 'passed', summary: `pushed ${repo.branch}`, output: { branch: repo.branch, forced: own } };
  },
};
