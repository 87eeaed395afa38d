import type { StepContext } from '../step-types.js';

/**
 * Commits whatever the agent left in the working tree, then recounts the
 * commits the run added (agents that commit on their own are counted too).
 */
export async function commitChanges(ctx: StepContext, message: string): Promise<{ committed: boolean; commits: number }> {
  await ctx.git(['add', '-A']);
  const status = await ctx.git(['status', '--porcelain']);
  let committed = false;
  if (status.stdout.trim() !== '') {
    const commit = await ctx.git(['commit', '--no-verify', '-m', message]);
    if (commit.exitCode !== 0) throw new Error(`git commit failed (exit ${commit.exitCode})`);
    committed = true;
  }
  if (ctx.state.startSha) {
    const count = await ctx.git(['rev-list', '--count', `${ctx.state.startSha}..HEAD`]);
    ctx.state.commits = Number.parseInt(count.stdout.trim(), 10) || 0;
  }
  return { committed, commits: ctx.state.commits };
}

export function commitMessage(ctx: StepContext, suffix?: string): string {
  const { ticket } = ctx.job;
  return `${ticket.identifier}: ${ticket.title}${suffix ? ` (${suffix})` : ''}`;
}
