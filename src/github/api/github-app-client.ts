import { Octokit } from '@octokit/rest';
import { Probot, ProbotOctokit } from 'probot';
import type { Logger } from 'pino';
import type { RegisterSecret } from '../../config/index.js';
import { AuthError, ExternalServiceError, NotFoundError } from '../../errors/index.js';

export interface GitHubAppClientOptions {
  appId: number;
  privateKey: string;
  /** REST base URL (`https://api.github.com`, GHE or the emulator's `/api/v3`). */
  baseUrl: string;
  log: Logger;
  clock?: () => number;
  /** Told of every installation token minted, ours and Probot's own, with its expiry (DESIGN invariant 5). */
  registerSecret?: RegisterSecret;
}

/** What an installation token may do. Runners get only the first two. */
export type TokenPermissions = { contents?: 'read' | 'write'; pull_requests?: 'read' | 'write'; issues?: 'read' | 'write'; actions?: 'read' | 'write'; workflows?: 'write'; metadata?: 'read' };

export const RUNNER_TOKEN_PERMISSIONS: TokenPermissions = { contents: 'write', pull_requests: 'write' };
// `workflows: write` lets workflow sync write files under .github/workflows.
const ORCHESTRATOR_PERMISSIONS: TokenPermissions = { contents: 'write', pull_requests: 'write', issues: 'write', actions: 'write', workflows: 'write', metadata: 'read' };

/**
 * Tokens live an hour. None is handed out with less than this left: a runner
 * uses its token for git and the API until ten minutes before it expires
 * (then asks for a fresh one), and the orchestrator's own calls need a few.
 */
export const MIN_TOKEN_LIFE_MS = 15 * 60_000;

/** An installation token and when it expires (ISO time, as GitHub says it). */
export interface RepoTokenGrant {
  token: string;
  expiresAt: string;
}

/**
 * The GitHub App seen as the orchestrator uses it: installation tokens scoped
 * to one repository (for runners: contents + pull requests only), and
 * installation clients that never retry on their own — a retried POST that
 * had been applied would, say, dispatch a workflow twice.
 */
export class GitHubAppClient {
  readonly probot: Probot;
  private readonly tokens = new Map<string, RepoTokenGrant>();
  private readonly installations = new Map<string, number>();
  private readonly clock: () => number;

  constructor(private readonly options: GitHubAppClientOptions) {
    this.clock = options.clock ?? Date.now;
    const register = options.registerSecret ?? (() => undefined);
    const NoRetryOctokit = ProbotOctokit.plugin(registerMintedTokens(register, this.clock)).defaults((defaults: Record<string, unknown>) => ({
      ...defaults,
      throttle: { enabled: false },
      retry: { enabled: false },
    }));
    this.probot = new Probot({ appId: options.appId, privateKey: options.privateKey, baseUrl: options.baseUrl, log: options.log, Octokit: NoRetryOctokit });
  }

  /** The installation that covers a repository (cached). */
  async installationId(owner: string, repo: string): Promise<number> {
    const key = `${owner}/${repo}`.toLowerCase();
    const cached = this.installations.get(key);
    if (cached) return cached;
    const app = await this.probot.auth();
    try {
      const { data } = await app.rest.apps.getRepoInstallation({ owner, repo });
      this.installations.set(key, data.id);
      return data.id;
    } catch (error) {
      throw toServiceError(error, `find the installation for ${owner}/${repo}`);
    }
  }

  /** A token scoped to this one repository with exactly `permissions`. */
  async repoToken(owner: string, repo: string, permissions: TokenPermissions = RUNNER_TOKEN_PERMISSIONS): Promise<string> {
    return (await this.repoTokenGrant(owner, repo, permissions)).token;
  }

  /** The same token with its expiry, for a runner that must know when to ask again; cached while it has MIN_TOKEN_LIFE_MS left. */
  async repoTokenGrant(owner: string, repo: string, permissions: TokenPermissions = RUNNER_TOKEN_PERMISSIONS): Promise<RepoTokenGrant> {
    const key = `${owner}/${repo}:${JSON.stringify(permissions)}`.toLowerCase();
    const cached = this.tokens.get(key);
    if (cached && Date.parse(cached.expiresAt) - MIN_TOKEN_LIFE_MS > this.clock()) return cached;
    const installationId = await this.installationId(owner, repo);
    const app = await this.probot.auth();
    try {
      const { data } = await app.rest.apps.createInstallationAccessToken({ installation_id: installationId, repositories: [repo], permissions });
      // The plugin saw it too; said here as well so a runner's token is registered whatever the client.
      this.options.registerSecret?.(data.token, { expiresAt: data.expires_at });
      const grant = { token: data.token, expiresAt: data.expires_at };
      this.tokens.set(key, grant);
      return grant;
    } catch (error) {
      throw toServiceError(error, `create a token for ${owner}/${repo}`);
    }
  }

  /** A plain @octokit/rest client for one repository, without retry or throttling plugins (a property: backends are handed it as it is). */
  readonly repoOctokit = async (owner: string, repo: string): Promise<Octokit> => {
    const token = await this.repoToken(owner, repo, ORCHESTRATOR_PERMISSIONS);
    return new Octokit({ auth: token, baseUrl: this.options.baseUrl, log: quietLog });
  };

  /** Repositories the app can reach, by installation (for the configuration status). */
  async reachableRepos(): Promise<string[]> {
    const app = await this.probot.auth();
    const repos: string[] = [];
    try {
      const installations = await app.paginate(app.rest.apps.listInstallations, { per_page: 100 });
      for (const installation of installations) {
        const octokit = await this.probot.auth(installation.id);
        const list = await octokit.paginate(octokit.rest.apps.listReposAccessibleToInstallation, { per_page: 100 });
        for (const r of list as unknown as { full_name: string }[]) repos.push(r.full_name);
      }
    } catch (error) {
      throw toServiceError(error, 'list the repositories the app can reach');
    }
    return repos;
  }
}

const ACCESS_TOKENS_URL = /\/app\/installations\/[^/]+\/access_tokens$/;

/**
 * An Octokit plugin that registers every installation token the client is
 * answered: Probot's app authentication mints its own (for webhook handlers
 * and `probot.auth(id)`) out of our sight, through the client's request hook.
 */
function registerMintedTokens(register: RegisterSecret, clock: () => number) {
  return (octokit: { hook: { after: (name: 'request', hook: (response: { data?: unknown }, options: { url?: string }) => void) => void } }) => {
    octokit.hook.after('request', (response, options) => {
      if (!options.url || !ACCESS_TOKENS_URL.test(options.url)) return;
      const data = response.data as { token?: unknown; expires_at?: unknown } | undefined;
      // Installation tokens live an hour when the answer does not say.
      if (typeof data?.token === 'string') register(data.token, { expiresAt: typeof data.expires_at === 'string' ? data.expires_at : clock() + 60 * 60_000 });
    });
  };
}

const quietLog = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

function toServiceError(error: unknown, doing: string): Error {
  const status = (error as { status?: number }).status;
  const message = `GitHub: could not ${doing}: ${(error as Error).message}`;
  if (status === 401) return new AuthError(message);
  if (status === 404) return new NotFoundError(message);
  const retryAfter = Number((error as { response?: { headers?: Record<string, string> } }).response?.headers?.['retry-after']);
  return new ExternalServiceError(message, {
    service: 'github',
    retryable: status === undefined || status >= 500 || status === 429 || status === 403,
    ...(Number.isFinite(retryAfter) ? { retryAfterMs: retryAfter * 1000 } : {}),
    ...(status ? { status } : {}),
    cause: error,
  });
}
