import { blobSha, commitOnBranch, isAncestor, normalizeBranchRef, resolveCommit } from './github-git.js';
import { GitHubApiError, bodyOf, notFound, ok, optionalString, requiredString, validationFailed } from './github-http.js';
import { repoFor, type RouteTable } from './github-route-table.js';
import { fileShape, refShape, repoShape } from './github-shapes.js';

const READ_CONTENTS: Array<[string, 'read']> = [['contents', 'read']];
const WRITE_CONTENTS: Array<[string, 'write']> = [['contents', 'write']];

/** Repository metadata, contents, git refs and branches. */
export function registerRepoRoutes(table: RouteTable): void {
  table.on('GET', '/repos/:owner/:repo', { auth: 'installation' }, (req, ctx) => ok(200, repoShape(repoFor(req, ctx), ctx.urls)));

  table.on('GET', '/repos/:owner/:repo/contents/*', { auth: 'installation', need: READ_CONTENTS }, (req, ctx) => {
    const repo = repoFor(req, ctx);
    const ref = req.query.get('ref') ?? repo.defaultBranch;
    const commit = resolveCommit(repo, ref);
    if (!commit) throw new GitHubApiError(404, `No commit found for the ref ${ref}`);
    const path = (req.params.rest ?? '').replace(/^\/+|\/+$/g, '');
    const content = commit.files.get(path);
    if (content) return ok(200, fileShape(repo, path, content, ref, ctx.urls));
    const prefix = path === '' ? '' : `${path}/`;
    const entries = new Map<string, 'file' | 'dir'>();
    for (const filePath of commit.files.keys()) {
      if (!filePath.startsWith(prefix)) continue;
      const [head, ...rest] = filePath.slice(prefix.length).split('/');
      if (head) entries.set(head, rest.length > 0 ? 'dir' : 'file');
    }
    if (entries.size === 0) throw notFound();
    return ok(
      200,
      [...entries].map(([name, type]) => {
        const entryPath = `${prefix}${name}`;
        const bytes = commit.files.get(entryPath);
        return { type, name, path: entryPath, sha: bytes ? blobSha(bytes) : commit.sha, size: bytes?.length ?? 0 };
      }),
    );
  });

  table.on('PUT', '/repos/:owner/:repo/contents/*', { auth: 'installation', need: WRITE_CONTENTS }, (req, ctx) => {
    const repo = repoFor(req, ctx);
    const body = bodyOf(req);
    const path = (req.params.rest ?? '').replace(/^\/+|\/+$/g, '');
    const message = requiredString(body, 'message');
    const encoded = requiredString(body, 'content');
    const branch = optionalString(body, 'branch') ?? repo.defaultBranch;
    const headSha = repo.refs.get(normalizeBranchRef(branch));
    if (!headSha) throw new GitHubApiError(404, `Branch ${branch} not found`);
    const existing = repo.commits.get(headSha)?.files.get(path);
    const givenSha = optionalString(body, 'sha');
    if (existing && givenSha === undefined) throw validationFailed(`Invalid request.\n\n"sha" wasn't supplied.`);
    if (existing && givenSha !== blobSha(existing)) throw new GitHubApiError(409, `${path} does not match ${givenSha}`);
    if (!existing && givenSha !== undefined) throw new GitHubApiError(409, `${path} does not match ${givenSha}`);
    const content = Buffer.from(encoded, 'base64');
    const commit = commitOnBranch(repo, branch, message, (files) => files.set(path, content), ctx.state.timestamp());
    return ok(existing ? 200 : 201, {
      content: fileShape(repo, path, content, branch, ctx.urls),
      commit: {
        sha: commit.sha,
        message,
        parents: commit.parents.map((sha) => ({ sha })),
        url: `${ctx.urls.api}/repos/${repo.fullName}/git/commits/${commit.sha}`,
        html_url: `${ctx.urls.web}/${repo.fullName}/commit/${commit.sha}`,
      },
    });
  });

  table.on('GET', '/repos/:owner/:repo/git/ref/*', { auth: 'installation', need: READ_CONTENTS }, (req, ctx) => {
    const repo = repoFor(req, ctx);
    const ref = (req.params.rest ?? '').replace(/^refs\//, '');
    const sha = repo.refs.get(ref);
    if (!sha) throw notFound();
    return ok(200, refShape(repo, ref, sha, ctx.urls));
  });

  table.on('GET', '/repos/:owner/:repo/git/matching-refs/*', { auth: 'installation', need: READ_CONTENTS }, (req, ctx) => {
    const repo = repoFor(req, ctx);
    const prefix = (req.params.rest ?? '').replace(/^refs\//, '');
    return ok(
      200,
      [...repo.refs].filter(([ref]) => ref.startsWith(prefix)).map(([ref, sha]) => refShape(repo, ref, sha, ctx.urls)),
    );
  });

  table.on('POST', '/repos/:owner/:repo/git/refs', { auth: 'installation', need: WRITE_CONTENTS }, (req, ctx) => {
    const repo = repoFor(req, ctx);
    const body = bodyOf(req);
    const fullRef = requiredString(body, 'ref');
    const sha = requiredString(body, 'sha');
    if (!fullRef.startsWith('refs/') || fullRef.split('/').length < 3) {
      throw validationFailed('Reference name must start with refs/ and have at least two slashes.');
    }
    const ref = fullRef.slice('refs/'.length);
    if (repo.refs.has(ref)) throw validationFailed('Reference already exists');
    if (!repo.commits.has(sha)) throw validationFailed('Object does not exist');
    repo.refs.set(ref, sha);
    return ok(201, refShape(repo, ref, sha, ctx.urls));
  });

  table.on('PATCH', '/repos/:owner/:repo/git/refs/*', { auth: 'installation', need: WRITE_CONTENTS }, (req, ctx) => {
    const repo = repoFor(req, ctx);
    const ref = (req.params.rest ?? '').replace(/^refs\//, '');
    const body = bodyOf(req);
    const sha = requiredString(body, 'sha');
    const current = repo.refs.get(ref);
    if (!current) throw validationFailed('Reference does not exist');
    if (!repo.commits.has(sha)) throw validationFailed('Object does not exist');
    if (body.force !== true && !isAncestor(repo, current, sha)) throw validationFailed('Update is not a fast forward');
    repo.refs.set(ref, sha);
    return ok(200, refShape(repo, ref, sha, ctx.urls));
  });

  table.on('DELETE', '/repos/:owner/:repo/git/refs/*', { auth: 'installation', need: WRITE_CONTENTS }, (req, ctx) => {
    const repo = repoFor(req, ctx);
    const ref = (req.params.rest ?? '').replace(/^refs\//, '');
    if (!repo.refs.delete(ref)) throw validationFailed('Reference does not exist');
    return ok(204);
  });

  table.on('GET', '/repos/:owner/:repo/branches/*', { auth: 'installation', need: READ_CONTENTS }, (req, ctx) => {
    const repo = repoFor(req, ctx);
    const name = req.params.rest ?? '';
    const sha = repo.refs.get(`heads/${name}`);
    if (!sha) throw new GitHubApiError(404, 'Branch not found');
    const commit = repo.commits.get(sha);
    const api = `${ctx.urls.api}/repos/${repo.fullName}`;
    // The emulator records no authors; GitHub answers null for a commit it cannot tie to a user.
    const gitUser = { name: 'AI-Implement Emulator', email: 'emulator@users.noreply.github.com', date: commit?.createdAt ?? new Date(0).toISOString() };
    return ok(200, {
      name,
      commit: {
        sha,
        node_id: Buffer.from(`Commit:${sha}`).toString('base64url'),
        url: `${api}/commits/${sha}`,
        html_url: `${ctx.urls.web}/${repo.fullName}/commit/${sha}`,
        comments_url: `${api}/commits/${sha}/comments`,
        commit: {
          url: `${api}/git/commits/${sha}`,
          author: gitUser,
          committer: gitUser,
          message: commit?.message ?? '',
          comment_count: 0,
          tree: { sha, url: `${api}/git/trees/${sha}` },
        },
        author: null,
        committer: null,
        parents: (commit?.parents ?? []).map((p) => ({ sha: p, url: `${api}/commits/${p}`, html_url: `${ctx.urls.web}/${repo.fullName}/commit/${p}` })),
      },
      protected: false,
      protection: { enabled: false, required_status_checks: { enforcement_level: 'off', contexts: [], checks: [] } },
      protection_url: `${api}/branches/${encodeURIComponent(name)}/protection`,
      _links: {
        self: `${ctx.urls.api}/repos/${repo.fullName}/branches/${name}`,
        html: `${ctx.urls.web}/${repo.fullName}/tree/${name}`,
      },
    });
  });
}
