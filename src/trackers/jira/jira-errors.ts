import { HttpException } from 'jira.js';
import { AuthError, ConfigError, ExternalServiceError, NotFoundError, ValidationError } from '../../errors/index.js';

/**
 * The one place jira.js errors become the project's. jira.js wraps an HTTP
 * failure in HttpException (status, and the axios error as `cause`); a
 * connection failure comes through as the bare axios error.
 */

const SERVICE = 'jira';

export function toTrackerError(error: unknown, now: () => number): Error {
  if (
    error instanceof ExternalServiceError ||
    error instanceof AuthError ||
    error instanceof NotFoundError ||
    error instanceof ValidationError ||
    error instanceof ConfigError
  ) {
    return error;
  }
  if (error instanceof HttpException) {
    const status = error.status;
    const retryAfter = retryAfterMs(headerOf(error.cause, 'retry-after'), now);
    if (status === 401) return new AuthError('Jira rejected the credentials', { cause: error });
    if (status === 403) return new AuthError('Jira denied access to the resource', { cause: error });
    if (status === 404) return new NotFoundError('Jira has no such issue or resource', { cause: error });
    if (status === 429 || status >= 500 || retryAfter !== undefined) {
      return new ExternalServiceError(status === 429 ? 'Jira rate limit reached' : 'Jira failed', {
        service: SERVICE,
        retryable: true,
        retryAfterMs: retryAfter,
        status,
        cause: error,
      });
    }
    return new ExternalServiceError('Jira refused the request', { service: SERVICE, retryable: false, status, cause: error });
  }
  return new ExternalServiceError('Jira request failed', { service: SERVICE, retryable: true, cause: error });
}

function headerOf(cause: unknown, name: string): unknown {
  if (typeof cause !== 'object' || cause === null) return undefined;
  const response = (cause as { response?: { headers?: unknown } }).response;
  const headers = response?.headers;
  if (typeof headers !== 'object' || headers === null) return undefined;
  const getter = (headers as { get?: unknown }).get;
  if (typeof getter === 'function') return (getter as (key: string) => unknown).call(headers, name);
  return (headers as Record<string, unknown>)[name];
}

/** `Retry-After` is either delay-seconds or an HTTP date. */
function retryAfterMs(value: unknown, now: () => number): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const text = String(value).trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now());
}

export function invalidAnswer(what: string, cause: unknown): ExternalServiceError {
  return new ExternalServiceError(`Jira answered ${what} in an unexpected shape`, { service: SERVICE, retryable: false, cause });
}
