import type { Logger } from 'pino';
import type { GitHubTokenGrant, RunnerTokenClaims } from '../domain/runner-protocol.js';
import { AuthError, ExternalServiceError, NotFoundError } from '../errors/index.js';
import type { Store } from '../store/store.js';
import { requireCurrentRun } from './record-progress.js';
import { RunnerRefusal } from './runner-tokens.js';

export interface GitHubTokenRefresherOptions {
  store: Store;
  log: Logger;
  /** The job spec's minter: an installation token for this one repository (contents + pull requests), with its expiry. */
  mintRepoToken: (owner: string, repo: string) => Promise<GitHubTokenGrant>;
  /** Told of every token handed out, so the redactor scrubs it wherever the run echoes it (DESIGN invariant 5). */
  registerSecret?: (value: string, options?: { expiresAt?: string }) => void;
}

export interface GitHubTokenRefresher {
  refresh(claims: RunnerTokenClaims): Promise<GitHubTokenGrant>;
}

/** The statuses a runner works in; before them it has no job, after them nothing to push. */
const WORKING = new Set(['launching', 'running']);

/** GitHub did not give us a token: the runner may ask again later (503 with Retry-After). */
function githubRefusal(error: unknown, repo: string): RunnerRefusal {
  if (error instanceof ExternalServiceError) {
    return new RunnerRefusal('github-unavailable', `GitHub did not mint a token for ${repo}: ${error.message}`, Math.ceil((error.retryAfterMs ?? 30_000) / 1000));
  }
  if (error instanceof AuthError) return new RunnerRefusal('github-unavailable', `GitHub refused the App's credentials: ${error.message}`, 300);
  // Uninstalled, or the repository left the installation: an operator has to act, but it may be back soon.
  if (error instanceof NotFoundError) return new RunnerRefusal('github-unavailable', `The GitHub App cannot reach ${repo}: ${error.message}`, 300);
  throw error;
}

/**
 * Hands a working run a fresh installation token for its repository, so a
 * run that outlives the token it started with (an hour at most) can still
 * push and open its pull request. Only the run's current attempt, only while
 * it is dispatched or running, and only its own repository.
 */
export function createGitHubTokenRefresher(options: GitHubTokenRefresherOptions): GitHubTokenRefresher {
  const { store, log } = options;
  return {
    async refresh(claims) {
      const run = await requireCurrentRun(store, claims);
      if (!WORKING.has(run.status)) throw new RunnerRefusal('not-dispatched', `Run ${run.id} is ${run.status}, not dispatched or running`);
      const mapping = await store.mappings.get(run.mappingKey);
      if (!mapping) throw new RunnerRefusal('mapping-missing', `The project ${run.mappingKey} of run ${run.id} no longer exists`);
      const repo = `${mapping.owner}/${mapping.repo}`;
      let grant: GitHubTokenGrant;
      try {
        grant = await options.mintRepoToken(mapping.owner, mapping.repo);
      } catch (error) {
        throw githubRefusal(error, repo);
      }
      options.registerSecret?.(grant.token, { expiresAt: grant.expiresAt });
      log.info({ runId: run.id, attempt: run.attempt, repo, expiresAt: grant.expiresAt }, 'GitHub token handed to runner');
      return { token: grant.token, expiresAt: grant.expiresAt };
    },
  };
}
