import type { GitHubTokenGrant } from '../domain/runner-protocol.js';
import { realSleep, retryWithBackoff, type RetryPolicy, type Sleep } from './retry-with-backoff.js';
import type { RunnerLog } from './runner-log.js';

/** Asked for a fresh token this long before the current one expires: a clone or push started then still finishes in time. */
export const TOKEN_REFRESH_MARGIN_MS = 10 * 60_000;
/** After a refresh that kept failing, the current token is still used while it has this much life; less would fail mid-push. */
const MIN_USABLE_MS = 60_000;
/** About half a minute of back-off in all: long enough for an orchestrator restart, short against the margin. */
export const TOKEN_REFRESH_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 2_000, maxDelayMs: 30_000 };

/** No usable GitHub token is left: the step that needed one fails with this message. */
export class GitHubTokenRefreshError extends Error {
  override readonly name = 'GitHubTokenRefreshError';
}

export interface GitHubTokenSourceOptions {
  /** The job spec's token and its expiry; without an expiry (an older server) the token is used as it is. */
  token: string;
  expiresAt?: string;
  /** Asks the orchestrator for a fresh token; without it the job's token is used as it is. */
  refresh?: () => Promise<GitHubTokenGrant>;
  now: () => Date;
  log: RunnerLog;
  /** Told of each new token (run-job keeps the job spec current with it). */
  onRefresh?: (grant: GitHubTokenGrant) => void;
  marginMs?: number;
  retry?: RetryPolicy;
  sleep?: Sleep;
}

/** The installation token for git and the GitHub API, read at each call so a long run never holds an expired one. */
export interface GitHubTokenSource {
  current(): Promise<string>;
}

/** Network errors and 5xx (OrchestratorHttpError) say so; a 4xx (the run is over, the token refused) will not change. */
const isRetryable = (error: unknown): boolean => (error as { retryable?: unknown } | undefined)?.retryable === true;

/**
 * Hands out the job's GitHub token until it is within the refresh margin of
 * its expiry, then asks the orchestrator for the next one (one request however
 * many callers wait), retrying with back-off. Every token it ever holds is
 * registered with the runner log's scrubber.
 */
export function createGitHubTokenSource(options: GitHubTokenSourceOptions): GitHubTokenSource {
  const { log, now } = options;
  const marginMs = options.marginMs ?? TOKEN_REFRESH_MARGIN_MS;
  let token = options.token;
  let expiresAt = options.expiresAt;
  let inflight: Promise<string> | undefined;
  log.addSecret(token);

  async function renew(refresh: () => Promise<GitHubTokenGrant>): Promise<string> {
    try {
      const grant = await retryWithBackoff(() => refresh(), isRetryable, options.retry ?? TOKEN_REFRESH_RETRY, options.sleep ?? realSleep, (error, attempt, delayMs) =>
        log.warn('GitHub token refresh failed, retrying', { attempt, delayMs, reason: (error as Error).message }),
      );
      log.addSecret(grant.token);
      token = grant.token;
      expiresAt = grant.expiresAt;
      options.onRefresh?.(grant);
      log.info('GitHub token refreshed', { expiresAt });
      return token;
    } catch (error) {
      const reason = (error as Error).message;
      const leftMs = Date.parse(expiresAt ?? '') - now().getTime();
      // A passing outage should not end a long run while the token it holds still works; a refusal (4xx) should.
      if (isRetryable(error) && leftMs >= MIN_USABLE_MS) {
        log.warn('GitHub token not refreshed; using the current one while it lasts', { expiresAt, reason });
        return token;
      }
      throw new GitHubTokenRefreshError(`could not get a fresh GitHub token (the current one ${leftMs > 0 ? 'expires' : 'expired'} at ${expiresAt}): ${reason}`, { cause: error });
    }
  }

  return {
    async current() {
      const refresh = options.refresh;
      const expiresAtMs = Date.parse(expiresAt ?? '');
      if (!refresh || Number.isNaN(expiresAtMs) || expiresAtMs - now().getTime() > marginMs) return token;
      inflight ??= renew(refresh).finally(() => {
        inflight = undefined;
      });
      return inflight;
    },
  };
}
