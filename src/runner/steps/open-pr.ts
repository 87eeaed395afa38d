import { PR_METADATA_PATTERN, renderPrMetadata } from '../../domain/runner-protocol.js';
import { createPullRequest, findPullRequest, updatePullRequestBody, type GitHubTarget } from '../github-pulls.js';
import type { StepContext, StepModule } from '../step-types.js';

export function githubTarget(ctx: StepContext): GitHubTarget {
  // Every text posted to GitHub is scrubbed of the job's secrets (the step log knows them all).
  return { apiUrl: ctx.job.github.apiUrl, token: ctx.job.github.token, owner: ctx.job.repo.owner, repo: ctx.job.repo.name, redact: (text) => ctx.log.redact(text) };
}

export function prMetadataMarker(ctx: StepContext): string {
  const { job } = ctx;
  return renderPrMetadata({ runId: job.runId, issueId: job.ticket.id, identifier: job.ticket.identifier, mappingKey: job.mappingKey ?? '' });
}

export function renderPrBody(ctx: StepContext): string {
  const { ticket } = ctx.job;
  const lines = [`Fixes ${ticket.identifier}`, '', `[${ticket.identifier}: ${ticket.title}](${ticket.url})`, ''];
  if (ctx.state.summaries.length > 0) lines.push('## What the agent did', '', ...ctx.state.summaries.map((s) => `- ${s}`), '');
  lines.push('_Opened by AI-Implement._', '', prMetadataMarker(ctx));
  return lines.join('\n');
}

/**
 * Creates the PR, or finds the one already open for the branch. An existing
 * body is left as people wrote it; only a missing metadata marker is appended,
 * so webhooks can still tie the PR to its ticket.
 */
export const openPrStep: StepModule = {
  title: 'Open the pull request',
  async run(ctx) {
    const { job } = ctx;
    if (job.shadow) return { status: 'skipped', summary: 'shadow run: no pull request' };
    const target = githubTarget(ctx);
    const existing = await findPullRequest(target, job.repo.branch, job.repo.prNumber);
    if (existing) {
      if (!PR_METADATA_PATTERN.test(existing.body)) await updatePullRequestBody(target, existing.number, `${existing.body}\n\n${prMetadataMarker(ctx)}`);
      ctx.state.pr = { number: existing.number, url: existing.url };
      return { status: 'passed', summary: `updated pull request #${existing.number}`, output: { ...ctx.state.pr, created: false } };
    }
    if (!ctx.state.pushed) return { status: 'failed', summary: 'no pull request: nothing was pushed' };
    const pull = await createPullRequest(target, {
      title: `${job.ticket.identifier}: ${job.ticket.title}`,
      body: renderPrBody(ctx),
      head: job.repo.branch,
      base: job.repo.defaultBranch,
    });
    ctx.state.pr = { number: pull.number, url: pull.url };
    return { status: 'passed', summary: `opened pull request #${pull.number}`, output: { ...ctx.state.pr, created: true } };
  },
};
