import { bodyOf, notFound, numberParam, ok, paginate, requiredString, validationFailed } from './github-http.js';
import { repoFor, type RouteContext, type RouteTable } from './github-route-table.js';
import { accountShape, issueCommentShape, reactionShape, reviewCommentShape } from './github-shapes.js';
import type { GitHubAccount, IssueComment, Reaction, ReactionContent, ReactionSubject, RepoPermission, RepoRole } from './github-types.js';

const READ_ISSUES: Array<[string, 'read']> = [['issues', 'read'], ['pull_requests', 'read']];
const WRITE_ISSUES: Array<[string, 'write']> = [['issues', 'write'], ['pull_requests', 'write']];
const REACTIONS: ReactionContent[] = ['+1', '-1', 'laugh', 'confused', 'heart', 'hooray', 'rocket', 'eyes'];

const PERMISSION_OF_ROLE: Record<RepoRole, RepoPermission> = {
  admin: 'admin',
  maintain: 'write',
  write: 'write',
  triage: 'read',
  read: 'read',
  none: 'none',
};

function actor(ctx: RouteContext): GitHubAccount {
  return ctx.state.botAccount;
}

function findComment(req: { params: Record<string, string> }, ctx: RouteContext, repoId: number): IssueComment {
  const id = numberParam(req.params.id);
  const comment = ctx.state.issueComments.find((c) => c.id === id && c.repoId === repoId);
  if (!comment) throw notFound();
  return comment;
}

function addReaction(ctx: RouteContext, subject: ReactionSubject, commentId: number, content: unknown): { created: boolean; reaction: Reaction } {
  if (typeof content !== 'string' || !REACTIONS.includes(content as ReactionContent)) {
    throw validationFailed('Validation Failed', [{ resource: 'Reaction', field: 'content', code: 'invalid' }]);
  }
  const user = actor(ctx);
  const existing = ctx.state.reactions.find(
    (r) => r.subject === subject && r.commentId === commentId && r.content === content && r.user.id === user.id,
  );
  if (existing) return { created: false, reaction: existing };
  const reaction: Reaction = {
    id: ctx.state.newId(),
    subject,
    commentId,
    content: content as ReactionContent,
    user,
    createdAt: ctx.state.timestamp(),
  };
  ctx.state.reactions.push(reaction);
  return { created: true, reaction };
}

/** Issue comments, reactions on issue and review comments, and collaborator permissions. */
export function registerIssueRoutes(table: RouteTable): void {
  table.on('GET', '/repos/:owner/:repo/issues/:number/comments', { auth: 'installation', need: READ_ISSUES }, (req, ctx) => {
    const repo = repoFor(req, ctx);
    const number = numberParam(req.params.number);
    const since = req.query.get('since');
    const comments = ctx.state.issueComments
      .filter((c) => c.repoId === repo.id && c.issueNumber === number)
      .filter((c) => !since || c.updatedAt >= since);
    const { page, headers } = paginate(req, ctx.urls.api, comments);
    return ok(200, page.map((c) => issueCommentShape(ctx.state, repo, c, ctx.urls)), headers);
  });

  table.on('POST', '/repos/:owner/:repo/issues/:number/comments', { auth: 'installation', need: WRITE_ISSUES }, (req, ctx) => {
    const repo = repoFor(req, ctx);
    const number = numberParam(req.params.number);
    const exists =
      ctx.state.pulls.some((p) => p.repoId === repo.id && p.number === number) ||
      ctx.state.issues.some((i) => i.repoId === repo.id && i.number === number);
    if (!exists) throw notFound();
    const body = requiredString(bodyOf(req), 'body');
    if (body.length > 65_536) throw validationFailed('Validation Failed', [{ resource: 'IssueComment', field: 'body', code: 'custom', message: 'body is too long (maximum is 65536 characters)' }]);
    const now = ctx.state.timestamp();
    const comment: IssueComment = {
      id: ctx.state.newId(),
      repoId: repo.id,
      issueNumber: number,
      body,
      user: actor(ctx),
      createdAt: now,
      updatedAt: now,
    };
    ctx.state.issueComments.push(comment);
    return ok(201, issueCommentShape(ctx.state, repo, comment, ctx.urls));
  });

  table.on('GET', '/repos/:owner/:repo/issues/comments/:id', { auth: 'installation', need: READ_ISSUES }, (req, ctx) => {
    const repo = repoFor(req, ctx);
    return ok(200, issueCommentShape(ctx.state, repo, findComment(req, ctx, repo.id), ctx.urls));
  });

  table.on('PATCH', '/repos/:owner/:repo/issues/comments/:id', { auth: 'installation', need: WRITE_ISSUES }, (req, ctx) => {
    const repo = repoFor(req, ctx);
    const comment = findComment(req, ctx, repo.id);
    comment.body = requiredString(bodyOf(req), 'body');
    comment.updatedAt = ctx.state.timestamp();
    return ok(200, issueCommentShape(ctx.state, repo, comment, ctx.urls));
  });

  table.on('DELETE', '/repos/:owner/:repo/issues/comments/:id', { auth: 'installation', need: WRITE_ISSUES }, (req, ctx) => {
    const repo = repoFor(req, ctx);
    const comment = findComment(req, ctx, repo.id);
    ctx.state.issueComments.splice(ctx.state.issueComments.indexOf(comment), 1);
    return ok(204);
  });

  for (const [subject, segment] of [
    ['issue_comment', 'issues'],
    ['review_comment', 'pulls'],
  ] as const) {
    const path = `/repos/:owner/:repo/${segment}/comments/:id/reactions`;
    const lookup = (req: { params: Record<string, string> }, ctx: RouteContext, repoId: number): number => {
      const id = numberParam(req.params.id);
      const list = subject === 'issue_comment' ? ctx.state.issueComments : ctx.state.reviewComments;
      if (!list.some((c) => c.id === id && c.repoId === repoId)) throw notFound();
      return id;
    };
    table.on('POST', path, { auth: 'installation', need: WRITE_ISSUES }, (req, ctx) => {
      const repo = repoFor(req, ctx);
      const { created, reaction } = addReaction(ctx, subject, lookup(req, ctx, repo.id), bodyOf(req).content);
      return ok(created ? 201 : 200, reactionShape(reaction, ctx.urls));
    });
    table.on('GET', path, { auth: 'installation', need: READ_ISSUES }, (req, ctx) => {
      const repo = repoFor(req, ctx);
      const id = lookup(req, ctx, repo.id);
      const content = req.query.get('content');
      const reactions = ctx.state.reactions.filter((r) => r.subject === subject && r.commentId === id && (!content || r.content === content));
      const { page, headers } = paginate(req, ctx.urls.api, reactions);
      return ok(200, page.map((r) => reactionShape(r, ctx.urls)), headers);
    });
  }

  table.on('GET', '/repos/:owner/:repo/pulls/comments/:id', { auth: 'installation', need: [['pull_requests', 'read']] }, (req, ctx) => {
    const repo = repoFor(req, ctx);
    const id = numberParam(req.params.id);
    const comment = ctx.state.reviewComments.find((c) => c.id === id && c.repoId === repo.id);
    if (!comment) throw notFound();
    return ok(200, reviewCommentShape(ctx.state, repo, comment, ctx.urls));
  });

  table.on('GET', '/repos/:owner/:repo/collaborators/:username/permission', { auth: 'installation', need: [['metadata', 'read']] }, (req, ctx) => {
    const repo = repoFor(req, ctx);
    const login = req.params.username ?? '';
    const role: RepoRole = login.toLowerCase() === repo.owner.login.toLowerCase() ? 'admin' : (repo.collaborators.get(login.toLowerCase()) ?? 'none');
    const permission = PERMISSION_OF_ROLE[role];
    return ok(200, {
      permission,
      role_name: role,
      user: {
        ...accountShape(ctx.state.account(login), ctx.urls),
        permissions: {
          admin: permission === 'admin',
          maintain: role === 'admin' || role === 'maintain',
          push: permission === 'admin' || permission === 'write',
          triage: permission !== 'none',
          pull: permission !== 'none',
        },
        role_name: role,
      },
    });
  });
}
