import { normalizeBranchRef } from './github-git.js';
import { GitHubApiError, bodyOf, notFound, numberParam, ok, optionalString, paginate, requiredString, validationFailed } from './github-http.js';
import { repoFor, type RouteContext, type RouteTable } from './github-route-table.js';
import { pullHeadSha, pullShape } from './github-shapes.js';
import type { PullRequest, Repo } from './github-types.js';

const READ_PULLS: Array<[string, 'read']> = [['pull_requests', 'read']];
const WRITE_PULLS: Array<[string, 'write']> = [['pull_requests', 'write']];

/** `owner:branch` or `branch` → branch (same-repository heads only; forks are out of scope). */
function headBranch(repo: Repo, head: string): string {
  const colon = head.indexOf(':');
  if (colon === -1) return head;
  if (head.slice(0, colon).toLowerCase() !== repo.owner.login.toLowerCase()) return `\u0000${head}`;
  return head.slice(colon + 1);
}

function findPull(req: { params: Record<string, string> }, ctx: RouteContext, repo: Repo): PullRequest {
  const number = numberParam(req.params.number);
  const pull = ctx.state.pulls.find((p) => p.repoId === repo.id && p.number === number);
  if (!pull) throw notFound();
  return pull;
}

/** Pull requests: create, get, list, update, merge. */
export function registerPullRoutes(table: RouteTable): void {
  table.on('POST', '/repos/:owner/:repo/pulls', { auth: 'installation', need: WRITE_PULLS }, (req, ctx) => {
    const repo = repoFor(req, ctx);
    const body = bodyOf(req);
    const title = requiredString(body, 'title');
    const head = headBranch(repo, requiredString(body, 'head'));
    const base = requiredString(body, 'base');
    const headSha = repo.refs.get(normalizeBranchRef(head));
    const baseSha = repo.refs.get(normalizeBranchRef(base));
    if (!headSha) throw validationFailed('Validation Failed', [{ resource: 'PullRequest', field: 'head', code: 'invalid' }]);
    if (!baseSha) throw validationFailed('Validation Failed', [{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
    const existing = ctx.state.pulls.find((p) => p.repoId === repo.id && p.state === 'open' && p.headRef === head && p.baseRef === base);
    if (existing) {
      throw validationFailed('Validation Failed', [
        { resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${repo.owner.login}:${head}.` },
      ]);
    }
    if (headSha === baseSha) {
      throw validationFailed('Validation Failed', [
        { resource: 'PullRequest', code: 'custom', message: `No commits between ${base} and ${head}` },
      ]);
    }
    const now = ctx.state.timestamp();
    const pull: PullRequest = {
      id: ctx.state.newId(),
      repoId: repo.id,
      number: repo.nextNumber++,
      title,
      body: optionalString(body, 'body') ?? null,
      state: 'open',
      headRef: head,
      baseRef: base,
      user: ctx.state.botAccount,
      draft: body.draft === true,
      merged: false,
      mergedAt: null,
      mergeCommitSha: null,
      closedHeadSha: null,
      closedAt: null,
      createdAt: now,
      updatedAt: now,
    };
    ctx.state.pulls.push(pull);
    return ok(201, pullShape(ctx.state, repo, pull, ctx.urls));
  });

  table.on('GET', '/repos/:owner/:repo/pulls', { auth: 'installation', need: READ_PULLS }, (req, ctx) => {
    const repo = repoFor(req, ctx);
    const state = req.query.get('state') ?? 'open';
    const head = req.query.get('head');
    const base = req.query.get('base');
    const wantedHead = head ? headBranch(repo, head) : undefined;
    const matches = ctx.state.pulls
      .filter((p) => p.repoId === repo.id)
      .filter((p) => state === 'all' || p.state === state)
      .filter((p) => wantedHead === undefined || p.headRef === wantedHead)
      .filter((p) => !base || p.baseRef === base)
      .sort((a, b) => (req.query.get('direction') === 'asc' ? a.number - b.number : b.number - a.number));
    const { page, headers } = paginate(req, ctx.urls.api, matches);
    return ok(200, page.map((p) => pullShape(ctx.state, repo, p, ctx.urls)), headers);
  });

  table.on('GET', '/repos/:owner/:repo/pulls/:number', { auth: 'installation', need: READ_PULLS }, (req, ctx) => {
    const repo = repoFor(req, ctx);
    return ok(200, pullShape(ctx.state, repo, findPull(req, ctx, repo), ctx.urls));
  });

  table.on('PATCH', '/repos/:owner/:repo/pulls/:number', { auth: 'installation', need: WRITE_PULLS }, (req, ctx) => {
    const repo = repoFor(req, ctx);
    const pull = findPull(req, ctx, repo);
    const body = bodyOf(req);
    const title = optionalString(body, 'title');
    const text = optionalString(body, 'body');
    const state = optionalString(body, 'state');
    const base = optionalString(body, 'base');
    if (state !== undefined && state !== 'open' && state !== 'closed') {
      throw validationFailed('Validation Failed', [{ resource: 'PullRequest', field: 'state', code: 'invalid' }]);
    }
    if (base !== undefined && !repo.refs.has(normalizeBranchRef(base))) {
      throw validationFailed('Validation Failed', [{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
    }
    if (state === 'open' && pull.merged) throw validationFailed('Validation Failed', [{ resource: 'PullRequest', code: 'custom', message: 'Cannot reopen a merged pull request' }]);
    const now = ctx.state.timestamp();
    if (title !== undefined) pull.title = title;
    if (body.body !== undefined) pull.body = text ?? null;
    if (base !== undefined) pull.baseRef = base;
    if (state === 'closed' && pull.state === 'open') {
      pull.closedHeadSha = pullHeadSha(repo, pull);
      pull.closedAt = now;
    }
    if (state === 'open' && pull.state === 'closed') {
      pull.closedHeadSha = null;
      pull.closedAt = null;
    }
    if (state !== undefined) pull.state = state;
    pull.updatedAt = now;
    return ok(200, pullShape(ctx.state, repo, pull, ctx.urls));
  });

  table.on('GET', '/repos/:owner/:repo/pulls/:number/merge', { auth: 'installation', need: READ_PULLS }, (req, ctx) => {
    const repo = repoFor(req, ctx);
    if (!findPull(req, ctx, repo).merged) throw notFound();
    return ok(204);
  });

  table.on('PUT', '/repos/:owner/:repo/pulls/:number/merge', { auth: 'installation', need: [['contents', 'write']] }, (req, ctx) => {
    const repo = repoFor(req, ctx);
    const pull = findPull(req, ctx, repo);
    if (pull.state !== 'open') throw new GitHubApiError(405, 'Pull Request is not mergeable');
    const expected = optionalString(bodyOf(req), 'sha');
    if (expected !== undefined && expected !== pullHeadSha(repo, pull)) {
      throw new GitHubApiError(409, 'Head branch was modified. Review and try the merge again.');
    }
    const merged = ctx.state.mergePull(repo.owner.login, repo.name, pull.number);
    return ok(200, { sha: merged.mergeCommitSha, merged: true, message: 'Pull Request successfully merged' });
  });
}
