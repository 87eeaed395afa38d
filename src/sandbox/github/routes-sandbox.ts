import { commitOnBranch } from './github-git.js';
import { GitHubApiError, ok } from './github-http.js';
import type { RouteTable } from './github-route-table.js';

/**
 * The emulator speaks REST, not git: in sandbox mode runners push to a local
 * bare repository whose post-receive hook reports each pushed branch here, so
 * the emulator learns the branch exists (as GitHub would after a push) and a
 * pull request can be opened from it. Loopback only, no auth: it is the
 * sandbox's own plumbing, not a GitHub API.
 */
export function registerSandboxRoutes(table: RouteTable): void {
  table.on('POST', '/_sandbox/push', { auth: 'none' }, (req, ctx) => {
    const body = (req.body ?? {}) as { owner?: unknown; repo?: unknown; ref?: unknown; sha?: unknown };
    if (typeof body.owner !== 'string' || typeof body.repo !== 'string' || typeof body.ref !== 'string') {
      throw new GitHubApiError(400, 'owner, repo and ref are required');
    }
    const repo = ctx.state.requireRepo(body.owner, body.repo);
    const branch = body.ref.replace(/^refs\/heads\//, '');
    const deleted = typeof body.sha === 'string' && /^0+$/.test(body.sha);
    if (deleted) {
      repo.refs.delete(`heads/${branch}`);
      return ok(200, { ref: `refs/heads/${branch}`, deleted: true });
    }
    if (!repo.refs.has(`heads/${branch}`)) {
      const base = repo.refs.get(`heads/${repo.defaultBranch}`);
      if (base) repo.refs.set(`heads/${branch}`, base);
    }
    // A new commit object stands for what was pushed; its content is not mirrored.
    const commit = commitOnBranch(repo, branch, `Pushed ${typeof body.sha === 'string' ? body.sha.slice(0, 12) : ''}`.trim(), () => undefined, ctx.state.timestamp());
    return ok(200, { ref: `refs/heads/${branch}`, sha: commit.sha });
  });
}
