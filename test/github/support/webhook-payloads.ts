import { createHmac, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';

/**
 * Real recorded payloads from @octokit/webhooks-examples, cloned and pointed
 * at the emulator's repository, PR, users and installation (most examples
 * carry no `installation`, which a GitHub App delivery always has).
 */

interface ExampleGroup {
  name: string;
  examples: Record<string, unknown>[];
}

const require = createRequire(import.meta.url);
const EXAMPLES = require('@octokit/webhooks-examples/api.github.com/index.json') as ExampleGroup[];

export function example(name: string, action: string, withField?: string): Record<string, unknown> {
  const group = EXAMPLES.find((g) => g.name === name);
  const found = group?.examples.find((e) => e.action === action && (!withField || JSON.stringify(e).includes(`"${withField}"`)));
  if (!found) throw new Error(`no ${name}.${action} example`);
  return structuredClone(found);
}

/** The 12.7 KB issue_comment.created example, as GitHub sent it. */
export function rawIssueCommentExample(): Record<string, unknown> {
  return example('issue_comment', 'created');
}

export interface RepoTarget {
  owner: string;
  repo: string;
  installationId: number;
}

function pointAt(payload: Record<string, unknown>, target: RepoTarget): void {
  const repository = payload.repository as Record<string, unknown>;
  repository.name = target.repo;
  repository.full_name = `${target.owner}/${target.repo}`;
  (repository.owner as Record<string, unknown>).login = target.owner;
  payload.installation = { id: target.installationId, node_id: `I_${target.installationId}` };
}

function user(login: string, type: 'User' | 'Bot' = 'User'): Record<string, unknown> {
  return { login, id: Math.abs(hash(login)), type, site_admin: false };
}

function hash(text: string): number {
  let h = 7;
  for (const ch of text) h = (h * 31 + ch.charCodeAt(0)) | 0;
  return h;
}

export interface PullShape {
  number: number;
  title: string;
  body: string;
  headRef: string;
  state?: 'open' | 'closed';
  merged?: boolean;
}

function applyPull(pr: Record<string, unknown>, pull: PullShape): void {
  pr.number = pull.number;
  pr.title = pull.title;
  pr.body = pull.body;
  pr.state = pull.state ?? 'open';
  pr.merged = pull.merged ?? false;
  pr.merged_at = pull.merged ? new Date().toISOString() : null;
  (pr.head as Record<string, unknown>).ref = pull.headRef;
}

export function issueCommentEvent(
  target: RepoTarget,
  options: { prNumber: number; commentId: number; body: string; login: string; userType?: 'User' | 'Bot'; action?: 'created' | 'edited' | 'deleted'; onPullRequest?: boolean },
): Record<string, unknown> {
  const payload = example('issue_comment', options.action ?? 'created');
  pointAt(payload, target);
  const issue = payload.issue as Record<string, unknown>;
  issue.number = options.prNumber;
  if (options.onPullRequest !== false) issue.pull_request = { url: `https://api.github.com/repos/${target.owner}/${target.repo}/pulls/${options.prNumber}` };
  const comment = payload.comment as Record<string, unknown>;
  comment.id = options.commentId;
  comment.body = options.body;
  comment.user = user(options.login, options.userType);
  payload.sender = user(options.login, options.userType);
  return payload;
}

export function reviewSubmittedEvent(target: RepoTarget, pull: PullShape, options: { reviewId: number; state: 'changes_requested' | 'commented' | 'approved'; body: string; login: string }): Record<string, unknown> {
  const payload = example('pull_request_review', 'submitted');
  pointAt(payload, target);
  applyPull(payload.pull_request as Record<string, unknown>, pull);
  const review = payload.review as Record<string, unknown>;
  review.id = options.reviewId;
  review.state = options.state;
  review.body = options.body;
  review.user = user(options.login);
  return payload;
}

export function reviewCommentEvent(target: RepoTarget, pull: PullShape, options: { commentId: number; body: string; path: string; line: number; login: string; userType?: 'User' | 'Bot' }): Record<string, unknown> {
  const payload = example('pull_request_review_comment', 'created', 'line');
  pointAt(payload, target);
  applyPull(payload.pull_request as Record<string, unknown>, pull);
  const comment = payload.comment as Record<string, unknown>;
  Object.assign(comment, { id: options.commentId, body: options.body, path: options.path, line: options.line, original_line: options.line, user: user(options.login, options.userType) });
  return payload;
}

export function pullRequestClosedEvent(target: RepoTarget, pull: PullShape): Record<string, unknown> {
  const payload = example('pull_request', 'closed');
  pointAt(payload, target);
  applyPull(payload.pull_request as Record<string, unknown>, { ...pull, state: 'closed' });
  payload.number = pull.number;
  return payload;
}

export function workflowRunEvent(target: RepoTarget, options: { action: 'completed' | 'in_progress'; id: number; displayTitle: string; conclusion?: string | null }): Record<string, unknown> {
  const payload = example('workflow_run', 'completed');
  pointAt(payload, target);
  payload.action = options.action;
  const run = payload.workflow_run as Record<string, unknown>;
  Object.assign(run, {
    id: options.id,
    display_title: options.displayTitle,
    status: options.action === 'completed' ? 'completed' : 'in_progress',
    conclusion: options.action === 'completed' ? (options.conclusion ?? 'failure') : null,
  });
  return payload;
}

export function installationEvent(action: string, installationId: number, account: string, repos: string[]): Record<string, unknown> {
  const payload = example('installation', action);
  const installation = payload.installation as Record<string, unknown>;
  installation.id = installationId;
  (installation.account as Record<string, unknown>).login = account;
  payload.repositories = repos.map((full, i) => ({ id: i + 1, name: full.split('/')[1], full_name: full, private: true }));
  return payload;
}

export function installationRepositoriesEvent(action: 'added' | 'removed', installationId: number, repos: string[]): Record<string, unknown> {
  const payload = example('installation_repositories', action);
  (payload.installation as Record<string, unknown>).id = installationId;
  const list = repos.map((full, i) => ({ id: 100 + i, name: full.split('/')[1], full_name: full, private: true }));
  payload.repositories_added = action === 'added' ? list : [];
  payload.repositories_removed = action === 'removed' ? list : [];
  return payload;
}

export interface SignedDelivery {
  id: string;
  name: string;
  body: string;
  headers: Record<string, string>;
}

/** The bytes and headers GitHub would send, signed with the webhook secret. */
export function signDelivery(secret: string, name: string, payload: unknown, id: string = randomUUID()): SignedDelivery {
  const body = JSON.stringify(payload);
  return {
    id,
    name,
    body,
    headers: {
      'content-type': 'application/json',
      'x-github-event': name,
      'x-github-delivery': id,
      'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
    },
  };
}

export async function postDelivery(baseUrl: string, delivery: SignedDelivery): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const response = await fetch(`${baseUrl}/api/github/webhook`, { method: 'POST', headers: delivery.headers, body: delivery.body });
  await response.arrayBuffer();
  return { status: response.status, ms: performance.now() - started };
}
