import { neutraliseHiddenMarkup } from '../../domain/neutralise-markup.js';
import { PR_METADATA_PATTERN, renderPrMetadata } from '../../domain/runner-protocol.js';
import { createPullRequest, findPullRequest, updatePullRequestBody, type GitHubTarget } from '../github-pulls.js';
import type { StepContext, StepModule } from '../step-types.js';

/** Where and as whom to call GitHub, built right before the calls so the token is a current one. */
export async function githubTarget(ctx: StepContext): Promise<GitHubTarget> {
  // Every text posted to GitHub is scrubbed of the job's secrets (the step log knows them all, old tokens too).
  return { apiUrl: ctx.job.github.apiUrl, token: await ctx.githubToken(), owner: ctx.job.repo.owner, repo: ctx.job.repo.name, redact: (text) => ctx.log.redact(text) };
}

export function prMetadataMarker(ctx: StepContext): string {
  const { job } = ctx;
  return renderPrMetadata({ runId: job.runId, issueId: job.ticket.id, identifier: job.ticket.identifier, mappingKey: job.mappingKey ?? '' });
}

/** The PR title: ticket text, so it cannot carry a marker either. */
export function renderPrTitle(ctx: StepContext): string {
  return neutraliseHiddenMarkup(`${ctx.job.ticket.identifier}: ${ctx.job.ticket.title}`);
}

/**
 * Everything above the marker is ticket text or agent output (which an agent
 * may have copied from the ticket), so it is neutralised as a whole: the one
 * marker in the body is ours, appended after.
 */
export function renderPrBody(ctx: StepContext): string {
  const { ticket } = ctx.job;
  const lines = [`Fixes ${ticket.identifier}`, '', `[${ticket.identifier}: ${ticket.title}](${ticket.url})`, ''];
  if (ctx.state.summaries.length > 0) lines.push('## What the agent did', '', ...ctx.state.summaries.map((s) => `- ${s}`), '');
  lines.push('_Opened by AI-Implement._');
  return `${neutraliseHiddenMarkup(lines.join('\n'))}\n\n${prMetadataMarker(ctx)}`;
}

/** Whether a body already carries a marker naming this job's ticket (a gap-fill run keeps the opening run's one). */
function namesThisTicket(body: string, ctx: StepContext): boolean {
  const { job } = ctx;
  for (const match of body.matchAll(new RegExp(PR_METADATA_PATTERN.source, 'gs'))) {
    try {
      const meta = JSON.parse(match[1] ?? '') as { issueId?: unknown; mappingKey?: unknown };
      if (meta.issueId === job.ticket.id && meta.mappingKey === (job.mappingKey ?? '')) return true;
    } catch {
      // A broken marker names nothing.
    }
  }
  return false;
}

/**
 * Creates the PR, or finds the one already open for the branch. An existing
 * body is left as people wrote it; only a missing metadata marker is appended
 * (a marker naming another ticket does not count: it may be a forgery, and the
 * orchestrator only believes markers whose run it stored), so webhooks can
 * still tie the PR to its ticket.
 */
export const openPrStep: StepModule = {
  title: 'Open the pull request',
  async run(ctx) {
    const { job } = ctx;
    if (job.shadow) return { status: 'skipped', summary: 'shadow run: no pull request' };
    const target = await githubTarget(ctx);
    const existing = await findPullRequest(target, job.repo.branch, job.repo.prNumber);
    if (existing) {
      if (!namesThisTicket(existing.body, ctx)) await updatePullRequestBody(target, existing.number, `${existing.body}\n\n${prMetadataMarker(ctx)}`);
      ctx.state.pr = { number: existing.number, url: existing.url };
      return { status: 'passed', summary: `updated pull request #${existing.number}`, output: { ...ctx.state.pr, created: false } };
    }
    if (!ctx.state.pushed) return { status: 'failed', summary: 'no pull request: nothing was pushed' };
    const pull = await createPullRequest(target, {
      title: renderPrTitle(ctx),
      body: renderPrBody(ctx),
      head: job.repo.branch,
      base: job.repo.defaultBranch,
    });
    ctx.state.pr = { number: pull.number, url: pull.url };
    return { status: 'passed', summary: `opened pull request #${pull.number}`, output: { ...ctx.state.pr, created: true } };
  },
};
