import { ExternalServiceError } from '../../errors/index.js';

interface OctokitLikeError {
  status?: number;
  message?: string;
  response?: { status: number; headers?: Record<string, string | number | undefined> };
}

/**
 * Converts an @octokit/request failure into an ExternalServiceError, once, here.
 *
 * @octokit/request reports a transport failure (reset socket, refused
 * connection) as a RequestError with status 500 and no `response`. That case
 * must not look like a server answer: the request may have been applied, so
 * the result carries no `status` and the dispatcher treats it as ambiguous.
 */
export function toGitHubServiceError(error: unknown, action: string, now: () => number): ExternalServiceError {
  if (error instanceof ExternalServiceError) return error;
  const e = (error ?? {}) as OctokitLikeError;
  const message = error instanceof Error ? error.message : String(error);
  if (!e.response) {
    return new ExternalServiceError(`GitHub ${action}: no answer (${message})`, { service: 'github', retryable: true, cause: error });
  }
  const status = e.response.status;
  const headers = e.response.headers ?? {};
  const retryAfterMs = retryAfter(headers, now);
  const rateLimited = status === 429 || (status === 403 && (retryAfterMs !== undefined || String(headers['x-ratelimit-remaining']) === '0'));
  const retryable = rateLimited || status === 408 || status >= 500;
  return new ExternalServiceError(`GitHub ${action}: ${status} ${message}`, {
    service: 'github',
    retryable,
    status,
    cause: error,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

/** `x-ratelimit-reset` is a wall-clock epoch, so the wait is measured from the backend's clock. */
function retryAfter(headers: Record<string, string | number | undefined>, now: () => number): number | undefined {
  const seconds = Number(headers['retry-after']);
  if (Number.isFinite(seconds) && seconds >= 0 && headers['retry-after'] !== undefined) return seconds * 1000;
  if (String(headers['x-ratelimit-remaining']) === '0') {
    const reset = Number(headers['x-ratelimit-reset']);
    if (Number.isFinite(reset)) return Math.max(0, reset * 1000 - now());
  }
  return undefined;
}
