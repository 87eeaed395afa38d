import type { StepModule } from '../step-types.js';

/**
 * Clones the repository and checks out the work branch: the existing remote
 * branch when there is one (a PR head, or a re-run), else a new branch from the
 * default branch. Credentials come from ctx.git, never from the URL.
 */
export const cloneStep: StepModule = {
  title: 'Clone repository',
  async run(ctx) {
    const { repo } = ctx.job;
    const clone = await ctx.git(['clone', '--no-tags', '--origin', 'origin', repo.cloneUrl, ctx.repoDir], { cwd: ctx.workdir });
    if (clone.exitCode !== 0) return { status: 'failed', summary: `git clone of ${repo.owner}/${repo.name} failed (exit ${clone.exitCode})` };
    const remote = await ctx.git(['ls-remote', '--heads', 'origin', `refs/heads/${repo.branch}`]);
    if (remote.exitCode !== 0) return { status: 'failed', summary: 'git ls-remote failed' };
    const remoteHead = remote.stdout.trim().split(/\s+/)[0] ?? '';
    ctx.state.remoteHead = remoteHead;
    const from = remoteHead ? `origin/${repo.branch}` : `origin/${repo.defaultBranch}`;
    const checkout = await ctx.git(['checkout', '-B', repo.branch, from]);
    if (checkout.exitCode !== 0) return { status: 'failed', summary: `could not check out ${repo.branch} from ${from}` };
    const head = await ctx.git(['rev-parse', 'HEAD']);
    ctx.state.startSha = head.stdout.trim();
    const output = { branch: repo.branch, from, sha: ctx.state.startSha, existingBranch: remoteHead !== '' };
    ctx.log.line(`checked out ${repo.branch} from ${from} at ${ctx.state.startSha}`);
    return { status: 'passed', output };
  },
};
