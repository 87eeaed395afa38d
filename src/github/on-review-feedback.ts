import type { Logger } from 'pino';
import type { GitHubAppDeps } from './github-app-deps.js';
import { pullInfoOf, type PullRequestApi } from './api/pull-request-api.js';
import { resolvePrTarget } from '../orchestrator/resolve-pr-target.js';
import type { StoredReviewComment } from '../orchestrator/review-feedback.js';
import { isBot, reviewCommentPayload, reviewPayload } from './webhook-payloads.js';

/**
 * `pull_request_review.submitted` (changes requested) and
 * `pull_request_review_comment.created` on an AI-Implement PR: the comment
 * joins the PR's pending batch, which the batcher turns into one
 * `review-feedback` run once the reviewer pauses. Only writers are heard: on
 * a public repository anyone may leave a review comment.
 */
export async function handleReviewEvent(deps: GitHubAppDeps, name: 'pull_request_review' | 'pull_request_review_comment', payload: unknown, api: PullRequestApi, log: Logger): Promise<void> {
  const event = name === 'pull_request_review' ? fromReview(payload) : fromReviewComment(payload);
  if (!event) return;
  const { owner, repo, pullPayload, author, comment } = event;
  const pull = pullInfoOf(owner, repo, pullPayload);
  if (pull.state !== 'open') return;
  const target = await resolvePrTarget(deps, pull, { allowTitle: false });
  if (!target.ok) {
    log.debug({ pr: pull.number, reason: target.reason }, 'review on a PR that is not ours; ignored');
    return;
  }
  const permission = await api.permissionOf(author);
  if (permission !== 'admin' && permission !== 'write') {
    log.info({ pr: pull.number, author, permission }, 'review feedback from a user without write access; ignored');
    return;
  }
  await deps.feedback.add(target, pull, comment ? [comment] : []);
}

interface ReviewEvent {
  owner: string;
  repo: string;
  pullPayload: unknown;
  author: string;
  comment: StoredReviewComment | undefined;
}

function fromReview(payload: unknown): ReviewEvent | undefined {
  const parsed = reviewPayload.safeParse(payload);
  if (!parsed.success) return undefined;
  const { action, review, pull_request, repository } = parsed.data;
  if (action !== 'submitted' || review.state.toLowerCase() !== 'changes_requested' || isBot(review.user)) return undefined;
  const body = review.body?.trim();
  return {
    owner: repository.owner.login,
    repo: repository.name,
    pullPayload: pull_request,
    author: review.user.login,
    // The inline comments of the review arrive as review-comment events of their own; the body is the summary.
    comment: body ? { id: `r${review.id}`, author: review.user.login, body, ...(review.html_url ? { url: review.html_url } : {}) } : undefined,
  };
}

function fromReviewComment(payload: unknown): ReviewEvent | undefined {
  const parsed = reviewCommentPayload.safeParse(payload);
  if (!parsed.success) return undefined;
  const { action, comment, pull_request, repository } = parsed.data;
  if (action !== 'created' || isBot(comment.user)) return undefined;
  const line = comment.line ?? comment.original_line ?? undefined;
  return {
    owner: repository.owner.login,
    repo: repository.name,
    pullPayload: pull_request,
    author: comment.user.login,
    comment: {
      id: `c${comment.id}`,
      author: comment.user.login,
      body: comment.body,
      ...(comment.path ? { path: comment.path } : {}),
      ...(line !== undefined ? { line } : {}),
      ...(comment.html_url ? { url: comment.html_url } : {}),
    },
  };
}
