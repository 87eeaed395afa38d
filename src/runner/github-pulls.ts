import { Octokit } from '@octokit/rest';
import { PR_METADATA_PATTERN } from '../domain/runner-protocol.js';
import { sanitizeAgentText, type Redactor } from '../domain/sanitize-agent-text.js';
import { ExternalServiceError } from '../errors/index.js';

/** The only file in the runner that talks to GitHub's REST API; steps see plain objects. */
export interface PullRef {
  number: number;
  url: string;
  body: string;
}

export interface GitHubTarget {
  apiUrl: string;
  token: string;
  owner: string;
  repo: string;
  /** The job's secret scrubber (the step log's `redact`); the token above is scrubbed either way. */
  redact?: Redactor;
}

/** GitHub refuses comment bodies past 65,536 characters; the cut note and marker fit in the rest. */
const MAX_COMMENT_CHARS = 60_000;

/**
 * The one place the runner cleans text it posts itself (the review pass's
 * answer, a new PR's body): terminal codes and control characters stripped, our markers
 * neutralised, secrets scrubbed, and long text cut with a note, exactly as
 * the orchestrator cleans runner text before it reaches a ticket.
 */
export function cleanPostedText(target: GitHubTarget, body: string): string {
  const redact = (text: string): string => {
    const scrubbed = target.token.length >= 6 ? text.split(target.token).join('***') : text;
    return target.redact ? target.redact(scrubbed) : scrubbed;
  };
  return sanitizeAgentText(body, { redact, maxChars: MAX_COMMENT_CHARS });
}

function client(target: GitHubTarget): Octokit {
  // Quiet logger: octokit's default console output is noise inside a job log.
  return new Octokit({ auth: target.token, baseUrl: target.apiUrl, log: { debug() {}, info() {}, warn() {}, error() {} } });
}

async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    const status = (error as { status?: number }).status;
    throw new ExternalServiceError(`GitHub ${what} failed${status ? ` (HTTP ${status})` : ''}: ${(error as Error).message}`, {
      service: 'github',
      retryable: status === undefined || status >= 500,
      ...(status !== undefined ? { status } : {}),
      cause: error,
    });
  }
}

export async function findPullRequest(target: GitHubTarget, branch: string, number?: number): Promise<PullRef | undefined> {
  const gh = client(target);
  if (number !== undefined) {
    const { data } = await call('get pull request', () => gh.pulls.get({ owner: target.owner, repo: target.repo, pull_number: number }));
    return { number: data.number, url: data.html_url, body: data.body ?? '' };
  }
  const { data } = await call('list pull requests', () =>
    gh.pulls.list({ owner: target.owner, repo: target.repo, head: `${target.owner}:${branch}`, state: 'open' }),
  );
  const pull = data[0];
  return pull ? { number: pull.number, url: pull.html_url, body: pull.body ?? '' } : undefined;
}

export async function createPullRequest(
  target: GitHubTarget,
  pull: { title: string; body: string; head: string; base: string },
): Promise<PullRef> {
  const gh = client(target);
  // The metadata marker is ours and must stay readable; the rest (step summaries) is runner text.
  const marker = PR_METADATA_PATTERN.exec(pull.body)?.[0];
  const text = cleanPostedText(target, marker ? pull.body.replace(marker, '') : pull.body).trimEnd();
  const body = marker ? `${text}\n\n${marker}` : text;
  const { data } = await call('create pull request', () => gh.pulls.create({ owner: target.owner, repo: target.repo, ...pull, body }));
  return { number: data.number, url: data.html_url, body: data.body ?? '' };
}

export async function updatePullRequestBody(target: GitHubTarget, number: number, body: string): Promise<void> {
  const gh = client(target);
  await call('update pull request', () => gh.pulls.update({ owner: target.owner, repo: target.repo, pull_number: number, body }));
}

/** Creates or updates the issue comment carrying `marker`, so a retried step leaves one comment, not two. */
export async function ensurePullComment(target: GitHubTarget, number: number, marker: string, body: string): Promise<{ id: number; url: string }> {
  const gh = client(target);
  const comments = await call('list comments', () =>
    gh.paginate(gh.issues.listComments, { owner: target.owner, repo: target.repo, issue_number: number, per_page: 100 }),
  );
  const existing = comments.find((c) => (c.body ?? '').includes(marker));
  const text = `${marker}\n${cleanPostedText(target, body)}`;
  if (existing) {
    const { data } = await call('update comment', () => gh.issues.updateComment({ owner: target.owner, repo: target.repo, comment_id: existing.id, body: text }));
    return { id: data.id, url: data.html_url };
  }
  const { data } = await call('create comment', () => gh.issues.createComment({ owner: target.owner, repo: target.repo, issue_number: number, body: text }));
  return { id: data.id, url: data.html_url };
}
