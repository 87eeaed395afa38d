import { createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { EmulatorServer, type EmulatorRequest, type EmulatorResponse } from '../emulator-server.js';
import { issueInstallationToken, type TokenRequest } from './github-auth.js';
import { GitHubApiError, errorBody } from './github-http.js';
import { RouteTable, type AppIdentity } from './github-route-table.js';
import type { UrlBase } from './github-shapes.js';
import { GitHubState } from './github-state.js';
import type { InstallationToken } from './github-types.js';
import { registerActionRoutes } from './routes-actions.js';
import { registerAppRoutes } from './routes-app.js';
import { registerIssueRoutes } from './routes-issues.js';
import { GitHubOidcIssuer, registerOidcRoutes } from './routes-oidc.js';
import { registerPullRoutes } from './routes-pulls.js';
import { registerRepoRoutes } from './routes-repos.js';
import { registerSandboxRoutes } from './routes-sandbox.js';
import { GitHttpBackend, isGitPath } from './github-git-http.js';
import { handlePullPage, isPullPagePath } from './github-pages.js';
import { handleAppManifestPage, isAppManifestPagePath, registerAppManifestRoutes } from './app-manifest-flow.js';
import { GitHubUserActions } from './github-user-actions.js';
import { WebhookSender } from '../webhook-sender.js';

export interface GitHubEmulatorOptions {
  appId?: number;
  appSlug?: string;
  appName?: string;
  /** PKCS#8 or PKCS#1 PEM; a fresh 2048-bit key pair is generated when unset. */
  privateKeyPem?: string;
  /** Clock for timestamps, App JWT checks and (unless `tokenNow` is set) installation tokens. */
  now?: () => Date;
  /**
   * Clock for installation tokens alone: when they are issued, when they
   * expire, in REST and in git over HTTP. A test moves it to outlive a
   * token's hour while Probot, which signs App JWTs with the real clock,
   * is still checked against `now`.
   */
  tokenNow?: () => Date;
  /** Requests allowed per hour before the primary rate limit answers 403. */
  rateLimit?: number;
  /**
   * Where the Actions OIDC issuer lives under the base URL: '' (default), or
   * `/_services/token` to be the issuer GitHub Enterprise Server is (what the
   * orchestrator derives from `GHE_HOST` outside sandbox mode).
   */
  oidcIssuerPath?: string;
  /** Told when a webhook delivery fails (sandbox mode logs it). */
  onWebhookFailure?: (event: string, reason: string) => void;
}

export interface RateLimitState {
  limit: number;
  remaining: number;
  resetAt: Date;
}

/** GitHub Enterprise clients (Probot with `GHE_HOST`) put this prefix before every path. */
const GHE_PREFIX = '/api/v3';
const HOUR_MS = 60 * 60 * 1000;

/**
 * A loopback stand-in for the GitHub REST API, good enough for Probot and
 * @octokit/rest to run unchanged: App JWT → installation tokens, repository
 * contents and refs, pull requests, comments, reactions, permissions and
 * Actions workflow dispatch and runs.
 */
export class GitHubEmulator {
  readonly appId: number;
  readonly appSlug: string;
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
  readonly state: GitHubState;
  readonly server: EmulatorServer;
  readonly rateLimit: RateLimitState;
  /** The Actions OIDC issuer (`createRequestToken`, `mintIdToken`); see routes-oidc.ts. */
  readonly oidc: GitHubOidcIssuer;
  private readonly table: RouteTable;
  /** Git over HTTP at `/<owner>/<repo>.git` (clone, fetch, push with an installation token). */
  private readonly git: GitHttpBackend;
  private readonly now: () => Date;
  /** The App's webhook: unset, nothing is sent (see `webhooks.connect`). */
  readonly webhooks: WebhookSender;
  /** What a person does on github.com (comment, review, merge), each followed by its webhook. */
  readonly users: GitHubUserActions;
  private gitDirs: (owner: string, repo: string) => string | undefined = () => undefined;

  constructor(options: GitHubEmulatorOptions = {}) {
    this.appId = options.appId ?? 1;
    this.appSlug = options.appSlug ?? 'ai-implement';
    this.now = options.now ?? (() => new Date());
    if (options.privateKeyPem) {
      this.privateKeyPem = options.privateKeyPem;
      this.publicKeyPem = createPublicKey(options.privateKeyPem).export({ type: 'spki', format: 'pem' }).toString();
    } else {
      const pair = generateKeyPairSync('rsa', {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      });
      this.privateKeyPem = pair.privateKey;
      this.publicKeyPem = pair.publicKey;
    }
    this.state = new GitHubState(this.now, { login: `${this.appSlug}[bot]`, id: 41_000_000 + this.appId, type: 'Bot' }, options.tokenNow);
    const limit = options.rateLimit ?? 5000;
    this.rateLimit = { limit, remaining: limit, resetAt: new Date(this.now().getTime() + HOUR_MS) };
    const app: AppIdentity = {
      id: this.appId,
      slug: this.appSlug,
      name: options.appName ?? 'AI-Implement',
      publicKeyPem: this.publicKeyPem,
    };
    this.table = new RouteTable((req) => ({ state: this.state, app, urls: this.urlsFor(req) }));
    registerAppRoutes(this.table);
    registerAppManifestRoutes(this.table);
    registerRepoRoutes(this.table);
    registerPullRoutes(this.table);
    registerIssueRoutes(this.table);
    registerActionRoutes(this.table);
    this.oidc = new GitHubOidcIssuer(() => this.server.url, this.now, options.oidcIssuerPath ?? '');
    registerOidcRoutes(this.table, this.oidc);
    registerSandboxRoutes(this.table);
    this.server = new EmulatorServer('github', (req) => this.handle(req));
    this.git = new GitHttpBackend(this.state);
    this.webhooks = new WebhookSender(options.onWebhookFailure);
    this.users = new GitHubUserActions(this.state, () => ({ web: this.server.url, api: this.gheBaseUrl }), this.webhooks);
  }

  /** Where the pull request pages read diffs from: the local bare repositories sandbox runners push to. */
  useGitDirs(gitDirOf: (owner: string, repo: string) => string | undefined): void {
    this.gitDirs = gitDirOf;
  }

  /** Starts listening on 127.0.0.1 and resolves with the base URL (no `/api/v3`). */
  start(port = 0): Promise<string> {
    return this.server.start(port);
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await this.git.stop();
  }

  get url(): string {
    return this.server.url;
  }

  /** The base URL as Probot builds it from `GHE_HOST` + `GHE_PROTOCOL`. */
  get gheBaseUrl(): string {
    return `${this.server.url}${GHE_PREFIX}`;
  }

  /** `GHE_HOST` / `GHE_PROTOCOL` values that point Probot at this emulator. */
  get probotEnv(): { GHE_HOST: string; GHE_PROTOCOL: string; APP_ID: string; PRIVATE_KEY: string } {
    const url = new URL(this.server.url);
    return { GHE_HOST: url.host, GHE_PROTOCOL: url.protocol.replace(':', ''), APP_ID: String(this.appId), PRIVATE_KEY: this.privateKeyPem };
  }

  /**
   * Issues an installation token without the App JWT round trip, for tests and
   * sandbox wiring that need a ready `ghs_` token. Same rules as the endpoint.
   */
  issueToken(installationId: number, request: TokenRequest = {}): InstallationToken {
    const installation = this.state.installations.get(installationId);
    if (!installation) throw new Error(`unknown installation ${installationId}`);
    return issueInstallationToken(this.state, installation, request);
  }

  private urlsFor(req: EmulatorRequest): UrlBase {
    const web = this.server.url;
    return { web, api: req.headers['x-emulator-prefix'] === GHE_PREFIX ? `${web}${GHE_PREFIX}` : web };
  }

  private async handle(raw: EmulatorRequest): Promise<EmulatorResponse> {
    // Git over HTTP lives on the web host, outside the REST API and its rate limit.
    if (isGitPath(raw.path)) return this.git.handle(raw);
    // The pull request pages a browser opens from html_url, also outside the API.
    // "Register new GitHub App" from a manifest, a web page like the PR pages.
    if (isAppManifestPagePath(raw.path)) return handleAppManifestPage(raw, this.state, this.server.url);
    if (isPullPagePath(raw.path)) return handlePullPage(raw, { state: this.state, actions: this.users, gitDirOf: (owner, repo) => this.gitDirs(owner, repo) });
    const prefixed = raw.path === GHE_PREFIX || raw.path.startsWith(`${GHE_PREFIX}/`);
    const req: EmulatorRequest = prefixed
      ? { ...raw, path: raw.path.slice(GHE_PREFIX.length) || '/', headers: { ...raw.headers, 'x-emulator-prefix': GHE_PREFIX } }
      : raw;
    const now = this.now();
    if (now.getTime() >= this.rateLimit.resetAt.getTime()) {
      this.rateLimit.remaining = this.rateLimit.limit;
      this.rateLimit.resetAt = new Date(now.getTime() + HOUR_MS);
    }
    let response: EmulatorResponse;
    if (this.rateLimit.remaining <= 0) {
      response = {
        status: 403,
        body: errorBody(403, `API rate limit exceeded for installation ID ${this.appId}.`),
      };
    } else {
      this.rateLimit.remaining -= 1;
      response = await this.route(req);
    }
    return {
      ...response,
      headers: {
        'x-github-request-id': randomUUID().toUpperCase(),
        'x-github-media-type': 'github.v3; format=json',
        'x-ratelimit-limit': String(this.rateLimit.limit),
        'x-ratelimit-remaining': String(this.rateLimit.remaining),
        'x-ratelimit-used': String(this.rateLimit.limit - this.rateLimit.remaining),
        'x-ratelimit-reset': String(Math.floor(this.rateLimit.resetAt.getTime() / 1000)),
        'x-ratelimit-resource': 'core',
        ...(response.headers ?? {}),
      },
    };
  }

  private async route(req: EmulatorRequest): Promise<EmulatorResponse> {
    try {
      const response = await this.table.router.handle(req);
      // The shared router answers its own 404/405 for unknown routes; GitHub says 404 either way.
      if ((response.status === 404 || response.status === 405) && !isGitHubBody(response.body)) {
        return { status: 404, body: errorBody(404, 'Not Found') };
      }
      return response;
    } catch (error) {
      if (error instanceof GitHubApiError) return { status: error.status, body: errorBody(error.status, error.message, error.extra) };
      throw error;
    }
  }
}

function isGitHubBody(body: unknown): boolean {
  return typeof body === 'object' && body !== null && 'documentation_url' in body;
}
