import {
  AuthenticationLinearError,
  ForbiddenLinearError,
  InternalLinearError,
  LinearError,
  NetworkLinearError,
  RatelimitedLinearError,
} from '@linear/sdk';
import { AuthError, ExternalServiceError, NotFoundError, ValidationError } from '../../errors/index.js';

/**
 * The one place Linear's errors become the project's. Callers branch on the
 * returned class; nothing downstream looks at Linear's error types or text.
 */

const SERVICE = 'linear';

export function toTrackerError(error: unknown, now: () => number): Error {
  if (error instanceof ExternalServiceError || error instanceof AuthError || error instanceof NotFoundError || error instanceof ValidationError) {
    return error;
  }
  if (error instanceof RatelimitedLinearError) {
    return new ExternalServiceError('Linear rate limit reached', {
      service: SERVICE,
      retryable: true,
      retryAfterMs: retryAfterMs(error, now),
      status: error.status ?? 429,
      cause: error,
    });
  }
  if (error instanceof AuthenticationLinearError || error instanceof ForbiddenLinearError) {
    return new AuthError('Linear rejected the API key or its permissions', { cause: error });
  }
  if (error instanceof NetworkLinearError || error instanceof InternalLinearError) {
    return new ExternalServiceError('Linear is unreachable or failed', { service: SERVICE, retryable: true, status: error.status, cause: error });
  }
  if (error instanceof LinearError) {
    // Invalid input, feature not accessible, usage limits: asking again will not help.
    const status = error.status;
    return new ExternalServiceError('Linear refused the request', {
      service: SERVICE,
      retryable: status !== undefined && status >= 500,
      status,
      cause: error,
    });
  }
  return new ExternalServiceError('Linear request failed', { service: SERVICE, retryable: true, cause: error });
}

/**
 * Prefer `Retry-After` (seconds); otherwise Linear's
 * `X-RateLimit-Requests-Reset`, which is an epoch time in milliseconds.
 */
function retryAfterMs(error: RatelimitedLinearError, now: () => number): number | undefined {
  if (error.retryAfter !== undefined) return Math.max(0, error.retryAfter * 1000);
  const reset = error.requestsResetAt ?? error.complexityResetAt;
  if (reset !== undefined) return Math.max(0, reset - now());
  return undefined;
}

export function invalidAnswer(what: string, cause: unknown): ExternalServiceError {
  return new ExternalServiceError(`Linear answered ${what} in an unexpected shape`, { service: SERVICE, retryable: false, cause });
}
