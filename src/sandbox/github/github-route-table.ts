import { EmulatorRouter, type EmulatorRequest, type EmulatorResponse } from '../emulator-server.js';
import { appJwtIssuer, requireInstallationToken, requirePermission, tokenCoversRepo, verifyAppJwt, type PermissionNeed } from './github-auth.js';
import { GitHubApiError, notFound } from './github-http.js';
import type { UrlBase } from './github-shapes.js';
import type { GitHubState } from './github-state.js';
import type { InstallationToken, RegisteredApp, Repo } from './github-types.js';

/** `app`: an App JWT; `installation`: a `ghs_` token; `none`: open. */
export type AuthKind = 'app' | 'installation' | 'none';

export interface AppIdentity {
  id: number;
  slug: string;
  name: string;
  publicKeyPem: string;
  /** Set when the JWT came from an App made through the manifest flow. */
  registered?: RegisteredApp;
}

export interface RouteContext {
  state: GitHubState;
  app: AppIdentity;
  urls: UrlBase;
  /** Set on `installation` routes. */
  token: InstallationToken | undefined;
}

export type GitHubHandler = (req: EmulatorRequest, ctx: RouteContext) => EmulatorResponse | Promise<EmulatorResponse>;

interface RouteOptions {
  auth: AuthKind;
  need?: PermissionNeed;
}

/** Routes declare how they authenticate and which permission they need; the table enforces both. */
export class RouteTable {
  readonly router = new EmulatorRouter();
  private context: (req: EmulatorRequest) => Omit<RouteContext, 'token'>;

  constructor(context: (req: EmulatorRequest) => Omit<RouteContext, 'token'>) {
    this.context = context;
  }

  on(method: string, path: string, options: RouteOptions, handler: GitHubHandler): this {
    this.router.on(method, path, async (req) => {
      let base = this.context(req);
      let token: InstallationToken | undefined;
      if (options.auth === 'app') {
        // Apps made through the manifest flow sign with their own keys; the JWT's issuer says which.
        const registered = base.state.apps.get(Number(appJwtIssuer(req.headers.authorization)));
        if (registered) base = { ...base, app: { id: registered.id, slug: registered.slug, name: registered.name, publicKeyPem: registered.publicKeyPem, registered } };
        verifyAppJwt(req.headers.authorization, { appId: base.app.id, publicKeyPem: base.app.publicKeyPem, now: base.state.now() });
      } else if (options.auth === 'installation') {
        token = requireInstallationToken(base.state, req.headers.authorization);
        requirePermission(token, options.need ?? []);
      }
      return handler(req, { ...base, token });
    });
    return this;
  }
}

/** The repository named by `:owner/:repo`, or 404 when missing or outside the token's reach (as GitHub hides it). */
export function repoFor(req: EmulatorRequest, ctx: RouteContext): Repo {
  const repo = ctx.state.repo(req.params.owner ?? '', req.params.repo ?? '');
  if (!repo) throw notFound();
  if (ctx.token && !tokenCoversRepo(ctx.state, ctx.token, repo)) throw notFound();
  return repo;
}

export function requireToken(ctx: RouteContext): InstallationToken {
  if (!ctx.token) throw new GitHubApiError(401, 'Requires authentication');
  return ctx.token;
}
