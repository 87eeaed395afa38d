import { installationRepos, issueInstallationToken, type TokenRequest } from './github-auth.js';
import { bodyOf, notFound, numberParam, ok, paginate } from './github-http.js';
import type { RouteTable } from './github-route-table.js';
import { repoFor, requireToken } from './github-route-table.js';
import { registeredAppShape } from './app-manifest-flow.js';
import { accountShape, installationShape, repoShape } from './github-shapes.js';

/** App-level endpoints (App JWT) and the installation's own view (installation token). */
export function registerAppRoutes(table: RouteTable): void {
  table.on('GET', '/app', { auth: 'app' }, (_req, ctx) =>
    ctx.app.registered ? ok(200, registeredAppShape(ctx.app.registered, ctx.urls, 0)) : ok(200, {
      id: ctx.app.id,
      slug: ctx.app.slug,
      node_id: Buffer.from(`App:${ctx.app.id}`).toString('base64url'),
      name: ctx.app.name,
      description: 'Loopback GitHub emulator app',
      owner: accountShape(ctx.state.account('ai-implement-owner', 'Organization'), ctx.urls),
      external_url: ctx.urls.web,
      html_url: `${ctx.urls.web}/apps/${ctx.app.slug}`,
      created_at: '2024-01-01T00:00:00Z',
      updated_at: '2024-01-01T00:00:00Z',
      permissions: { metadata: 'read', contents: 'write', pull_requests: 'write', issues: 'write', actions: 'write' },
      events: ['issue_comment', 'pull_request', 'pull_request_review', 'workflow_run'],
      installations_count: ctx.state.installations.size,
    }),
  );

  table.on('GET', '/app/installations', { auth: 'app' }, (req, ctx) => {
    const all = [...ctx.state.installations.values()].map((i) => installationShape(i, ctx.app.id, ctx.app.slug, ctx.urls));
    const { page, headers } = paginate(req, ctx.urls.api, all);
    return ok(200, page, headers);
  });

  table.on('GET', '/app/installations/:id', { auth: 'app' }, (req, ctx) => {
    const installation = ctx.state.installations.get(numberParam(req.params.id));
    if (!installation) throw notFound();
    return ok(200, installationShape(installation, ctx.app.id, ctx.app.slug, ctx.urls));
  });

  table.on('POST', '/app/installations/:id/access_tokens', { auth: 'app' }, (req, ctx) => {
    const installation = ctx.state.installations.get(numberParam(req.params.id));
    if (!installation) throw notFound();
    const token = issueInstallationToken(ctx.state, installation, bodyOf(req) as TokenRequest);
    const scoped = token.repositoryIds;
    return ok(201, {
      token: token.token,
      expires_at: token.expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      permissions: token.permissions,
      repository_selection: scoped ? 'selected' : installation.repositorySelection,
      ...(scoped
        ? {
            repositories: installationRepos(ctx.state, installation)
              .filter((r) => scoped.includes(r.id))
              .map((r) => repoShape(r, ctx.urls)),
          }
        : {}),
    });
  });

  table.on('GET', '/repos/:owner/:repo/installation', { auth: 'app' }, (req, ctx) => {
    const repo = repoFor(req, ctx);
    const installation = ctx.state.installations.get(repo.installationId);
    if (!installation) throw notFound();
    return ok(200, installationShape(installation, ctx.app.id, ctx.app.slug, ctx.urls));
  });

  table.on('GET', '/orgs/:org/installation', { auth: 'app' }, (req, ctx) => {
    const installation = ctx.state.installationFor(req.params.org ?? '');
    if (!installation) throw notFound();
    return ok(200, installationShape(installation, ctx.app.id, ctx.app.slug, ctx.urls));
  });

  table.on('GET', '/installation/repositories', { auth: 'installation' }, (req, ctx) => {
    const token = requireToken(ctx);
    const installation = ctx.state.installations.get(token.installationId);
    if (!installation) throw notFound();
    const repos = installationRepos(ctx.state, installation).filter((r) => token.repositoryIds === null || token.repositoryIds.includes(r.id));
    const { page, headers } = paginate(req, ctx.urls.api, repos);
    return ok(
      200,
      {
        total_count: repos.length,
        repository_selection: token.repositoryIds ? 'selected' : installation.repositorySelection,
        repositories: page.map((r) => repoShape(r, ctx.urls)),
      },
      headers,
    );
  });
}
