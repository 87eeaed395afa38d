import { neutraliseHiddenMarkup } from '../../domain/neutralise-markup.js';
import { AuthError, ExternalServiceError, NotFoundError } from '../../errors/index.js';

/** A pull request in the project's own terms (converted from the REST or webhook shape). */
export interface PullInfo {
  owner: string;
  repo: string;
  number: number;
  title: string;
  body: string;
  /** The head branch (same-repository PRs; forks are out of scope). */
  headRef: string;
  state: 'open' | 'closed';
  merged: boolean;
  htmlUrl?: string;
}

export type RepoPermission = 'admin' | 'write' | 'read' | 'none';
export type ReactionContent = 'eyes' | 'rocket' | '+1' | 'confused';

/**
 * What the handlers ask of GitHub about one repository's pull requests.
 * Replies are idempotent `ensure…` writes keyed by a hidden marker, so a
 * retried delivery never posts twice (DESIGN.md invariant 6).
 */
export interface PullRequestApi {
  getPull(number: number): Promise<PullInfo | undefined>;
  permissionOf(login: string): Promise<RepoPermission>;
  reactToIssueComment(commentId: number, content: ReactionContent): Promise<void>;
  ensureComment(issueNumber: number, key: string, body: string): Promise<void>;
}

interface Response<T> {
  data: T;
}

/**
 * The slice of an Octokit client these calls use. Both Probot's
 * `context.octokit` and `@octokit/rest` satisfy it structurally.
 */
export interface RestClient {
  rest: {
    pulls: { get(params: { owner: string; repo: string; pull_number: number }): Promise<Response<unknown>> };
    repos: { getCollaboratorPermissionLevel(params: { owner: string; repo: string; username: string }): Promise<Response<{ permission: string }>> };
    reactions: { createForIssueComment(params: { owner: string; repo: string; comment_id: number; content: ReactionContent }): Promise<unknown> };
    issues: {
      listComments(params: { owner: string; repo: string; issue_number: number; per_page: number; page: number }): Promise<Response<{ id: number; body?: string | null }[]>>;
      createComment(params: { owner: string; repo: string; issue_number: number; body: string }): Promise<unknown>;
      updateComment(params: { owner: string; repo: string; comment_id: number; body: string }): Promise<unknown>;
    };
  };
}

const PAGE = 100;

export function replyMarker(key: string): string {
  return `<!-- ai-implement:reply ${key} -->`;
}

/** `redact`: the process's redactor; every comment passes it before it is posted, whoever composed it. */
export function createPullRequestApi(octokit: RestClient, owner: string, repo: string, redact: (text: string) => string = (text) => text): PullRequestApi {
  return {
    async getPull(number) {
      try {
        const { data } = await octokit.rest.pulls.get({ owner, repo, pull_number: number });
        return pullInfoOf(owner, repo, data);
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw toGitHubError(error, `read pull request #${number} of ${owner}/${repo}`);
      }
    },

    async permissionOf(login) {
      try {
        const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username: login });
        return data.permission === 'admin' || data.permission === 'write' || data.permission === 'read' ? data.permission : 'none';
      } catch (error) {
        // GitHub answers 404 for someone who is not a collaborator at all.
        if (statusOf(error) === 404) return 'none';
        throw toGitHubError(error, `read ${login}'s permission on ${owner}/${repo}`);
      }
    },

    async reactToIssueComment(commentId, content) {
      try {
        await octokit.rest.reactions.createForIssueComment({ owner, repo, comment_id: commentId, content });
      } catch (error) {
        throw toGitHubError(error, `react to comment ${commentId} on ${owner}/${repo}`);
      }
    },

    async ensureComment(issueNumber, key, text) {
      const marker = replyMarker(key);
      // The text may quote a ticket or a PR (reasons, titles): only our own marker may key the comment.
      const body = `${neutraliseHiddenMarkup(redact(text))}\n\n${marker}`;
      try {
        for (let page = 1; ; page++) {
          const { data } = await octokit.rest.issues.listComments({ owner, repo, issue_number: issueNumber, per_page: PAGE, page });
          const found = data.find((c) => c.body?.includes(marker));
          if (found) {
            if (found.body !== body) await octokit.rest.issues.updateComment({ owner, repo, comment_id: found.id, body });
            return;
          }
          if (data.length < PAGE) break;
        }
        await octokit.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body });
      } catch (error) {
        throw toGitHubError(error, `comment on ${owner}/${repo}#${issueNumber}`);
      }
    },
  };
}

/** A REST or webhook `pull_request` object → PullInfo (fields we use only). */
export function pullInfoOf(owner: string, repo: string, data: unknown): PullInfo {
  const pr = (data ?? {}) as { number?: unknown; title?: unknown; body?: unknown; head?: { ref?: unknown }; state?: unknown; merged?: unknown; merged_at?: unknown; html_url?: unknown };
  return {
    owner,
    repo,
    number: Number(pr.number),
    title: typeof pr.title === 'string' ? pr.title : '',
    body: typeof pr.body === 'string' ? pr.body : '',
    headRef: typeof pr.head?.ref === 'string' ? pr.head.ref : '',
    state: pr.state === 'closed' ? 'closed' : 'open',
    merged: pr.merged === true || (typeof pr.merged_at === 'string' && pr.merged_at !== ''),
    ...(typeof pr.html_url === 'string' ? { htmlUrl: pr.html_url } : {}),
  };
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown }).status;
  return typeof status === 'number' ? status : undefined;
}

/** Vendor errors become ours once, here; a 5xx, 429 or no answer is worth retrying (the inbox does). */
export function toGitHubError(error: unknown, doing: string): Error {
  if (error instanceof ExternalServiceError || error instanceof AuthError || error instanceof NotFoundError) return error;
  const status = statusOf(error);
  const message = `GitHub: could not ${doing}: ${(error as Error).message}`;
  if (status === 401) return new AuthError(message);
  if (status === 404) return new NotFoundError(message);
  return new ExternalServiceError(message, {
    service: 'github',
    retryable: status === undefined || status >= 500 || status === 429 || status === 403,
    ...(status ? { status } : {}),
    cause: error,
  });
}
