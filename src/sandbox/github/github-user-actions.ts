import type { WebhookSender } from '../webhook-sender.js';
import type { UrlBase } from './github-shapes.js';
import type { GitHubState } from './github-state.js';
import type { IssueComment, PullRequest, Repo } from './github-types.js';
import { buildGitHubWebhook, issueCommentCreatedPayload, pullClosedPayload, reviewCommentCreatedPayload, reviewSubmittedPayload, type GitHubEventName } from './github-webhooks.js';

/** What a person does on github.com, done on the emulator: the state changes, then the App's webhook goes out. */
export interface GitHubUserActionResult {
  pull: PullRequest;
  /** The orchestrator's answer to the webhook; undefined when no webhook target is connected. */
  delivered: number | 'failed' | undefined;
}

export class GitHubUserActions {
  constructor(
    private readonly state: GitHubState,
    private readonly urls: () => UrlBase,
    private readonly webhooks: WebhookSender,
  ) {}

  /** A comment on the pull request's conversation (`issue_comment.created`), e.g. `/ai-implement add tests`. */
  async comment(owner: string, name: string, number: number, body: string, login: string): Promise<GitHubUserActionResult & { comment: IssueComment }> {
    const { repo, pull } = this.pullOf(owner, name, number);
    const now = this.state.timestamp();
    const comment: IssueComment = { id: this.state.newId(), repoId: repo.id, issueNumber: number, body, user: this.state.account(login), createdAt: now, updatedAt: now };
    this.state.issueComments.push(comment);
    pull.updatedAt = now;
    const delivered = await this.send('issue_comment', issueCommentCreatedPayload(this.state, repo, pull, comment, this.urls()));
    return { pull, comment, delivered };
  }

  /**
   * A review that requests changes with one inline comment: GitHub sends the
   * comment (`pull_request_review_comment.created`), then the review
   * (`pull_request_review.submitted`, its body empty as for a single comment).
   */
  async review(owner: string, name: string, number: number, body: string, login: string, path?: string): Promise<GitHubUserActionResult> {
    const { repo, pull } = this.pullOf(owner, name, number);
    const comment = this.state.addReviewComment(owner, name, number, body, login, path ?? 'README.md');
    pull.updatedAt = comment.createdAt;
    const first = await this.send('pull_request_review_comment', reviewCommentCreatedPayload(this.state, repo, pull, comment, this.urls()));
    const review = { id: this.state.newId(), state: 'changes_requested' as const, body: null, user: comment.user, submittedAt: comment.createdAt };
    const second = await this.send('pull_request_review', reviewSubmittedPayload(this.state, repo, pull, review, this.urls()));
    return { pull, delivered: first === undefined || typeof first === 'number' && first < 300 ? second : first };
  }

  /** The merge button (`pull_request.closed` with `merged: true`). */
  async merge(owner: string, name: string, number: number, login: string): Promise<GitHubUserActionResult> {
    const { repo, pull } = this.pullOf(owner, name, number);
    if (pull.state !== 'open') throw new Error(`pull request #${number} is ${pull.merged ? 'already merged' : 'closed'}`);
    this.state.mergePull(owner, name, number);
    const delivered = await this.send('pull_request', pullClosedPayload(this.state, repo, pull, this.state.account(login), this.urls()));
    return { pull, delivered };
  }

  private pullOf(owner: string, name: string, number: number): { repo: Repo; pull: PullRequest } {
    const repo = this.state.requireRepo(owner, name);
    const pull = this.state.pull(owner, name, number);
    if (!pull) throw new Error(`no pull request #${number} in ${owner}/${name}`);
    return { repo, pull };
  }

  private send(event: GitHubEventName, payload: Record<string, unknown>): Promise<number | 'failed' | undefined> {
    return this.webhooks.send(`${event}.${String(payload.action)}`, (secret) => buildGitHubWebhook(event, payload, secret));
  }
}
