import { createHmac, randomUUID } from 'node:crypto';
import type { WebhookDeliveryBuilt } from '../webhook-sender.js';
import { accountShape, issueCommentShape, pullShape, repoShape, reviewCommentShape, type UrlBase } from './github-shapes.js';
import type { GitHubState } from './github-state.js';
import type { GitHubAccount, IssueComment, PullRequest, Repo, ReviewComment } from './github-types.js';

/**
 * GitHub App webhook deliveries as GitHub sends them: the JSON body signed
 * with HMAC-SHA256 in `X-Hub-Signature-256: sha256=<hex>`, named by
 * `X-GitHub-Event`, identified by `X-GitHub-Delivery`, and carrying the
 * `installation` an App authenticates as, the `repository` and the `sender`.
 */

export type GitHubEventName = 'issue_comment' | 'pull_request' | 'pull_request_review' | 'pull_request_review_comment';

export function signGitHubWebhook(body: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export function buildGitHubWebhook(event: GitHubEventName, payload: Record<string, unknown>, secret: string): WebhookDeliveryBuilt {
  const body = JSON.stringify(payload);
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/sandbox',
      'x-github-event': event,
      'x-github-delivery': randomUUID(),
      'x-github-hook-id': '1',
      'x-github-hook-installation-target-type': 'integration',
      'x-hub-signature-256': signGitHubWebhook(body, secret),
    },
  };
}

/** What every event about a repository carries besides its own objects. */
function envelope(state: GitHubState, repo: Repo, sender: GitHubAccount, urls: UrlBase): Record<string, unknown> {
  const installation = state.installations.get(repo.installationId);
  return {
    repository: repoShape(repo, urls),
    sender: accountShape(sender, urls),
    ...(installation ? { installation: { id: installation.id, node_id: Buffer.from(`Installation:${installation.id}`).toString('base64url') } } : {}),
  };
}

/** The `issue` of an `issue_comment` on a pull request: the PR seen as an issue, with its `pull_request` link. */
function pullAsIssue(state: GitHubState, repo: Repo, pull: PullRequest, urls: UrlBase): Record<string, unknown> {
  const shape = pullShape(state, repo, pull, urls);
  return {
    url: `${urls.api}/repos/${repo.fullName}/issues/${pull.number}`,
    repository_url: `${urls.api}/repos/${repo.fullName}`,
    html_url: shape.html_url,
    id: pull.id,
    node_id: shape.node_id,
    number: pull.number,
    title: pull.title,
    user: shape.user,
    labels: [],
    state: pull.state,
    locked: false,
    assignee: null,
    assignees: [],
    comments: shape.comments,
    created_at: pull.createdAt,
    updated_at: pull.updatedAt,
    closed_at: pull.closedAt,
    author_association: shape.author_association,
    body: pull.body,
    pull_request: { url: shape.url, html_url: shape.html_url, diff_url: shape.diff_url, patch_url: shape.patch_url, merged_at: pull.mergedAt },
  };
}

export function issueCommentCreatedPayload(state: GitHubState, repo: Repo, pull: PullRequest, comment: IssueComment, urls: UrlBase): Record<string, unknown> {
  return { action: 'created', issue: pullAsIssue(state, repo, pull, urls), comment: issueCommentShape(state, repo, comment, urls), ...envelope(state, repo, comment.user, urls) };
}

export function reviewCommentCreatedPayload(state: GitHubState, repo: Repo, pull: PullRequest, comment: ReviewComment, urls: UrlBase): Record<string, unknown> {
  return { action: 'created', comment: reviewCommentShape(state, repo, comment, urls), pull_request: pullShape(state, repo, pull, urls), ...envelope(state, repo, comment.user, urls) };
}

export interface SubmittedReview {
  id: number;
  state: 'approved' | 'changes_requested' | 'commented';
  body: string | null;
  user: GitHubAccount;
  submittedAt: string;
}

export function reviewSubmittedPayload(state: GitHubState, repo: Repo, pull: PullRequest, review: SubmittedReview, urls: UrlBase): Record<string, unknown> {
  const shape = pullShape(state, repo, pull, urls);
  const html = `${String(shape.html_url)}#pullrequestreview-${review.id}`;
  return {
    action: 'submitted',
    review: {
      id: review.id,
      node_id: Buffer.from(`PullRequestReview:${review.id}`).toString('base64url'),
      user: accountShape(review.user, urls),
      body: review.body,
      commit_id: (shape.head as { sha: string }).sha,
      submitted_at: review.submittedAt,
      // Webhook payloads spell review states in lower case (the REST API in upper case).
      state: review.state,
      html_url: html,
      pull_request_url: shape.url,
      author_association: 'MEMBER',
      _links: { html: { href: html }, pull_request: { href: shape.url } },
    },
    pull_request: shape,
    ...envelope(state, repo, review.user, urls),
  };
}

export function pullClosedPayload(state: GitHubState, repo: Repo, pull: PullRequest, sender: GitHubAccount, urls: UrlBase): Record<string, unknown> {
  return { action: 'closed', number: pull.number, pull_request: pullShape(state, repo, pull, urls), ...envelope(state, repo, sender, urls) };
}
