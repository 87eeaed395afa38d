/**
 * The project's small error hierarchy. Vendor errors are converted once, at the
 * adapter boundary, into one of these; callers branch on the class, never on
 * message text.
 */

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    message: string,
    /** One entry per bad key: `KEY: what is wrong; how to fix it`. */
    readonly problems: readonly string[] = [],
  ) {
    super(message);
  }
}

export interface ExternalServiceErrorOptions {
  service: string;
  retryable: boolean;
  retryAfterMs?: number;
  status?: number;
  cause?: unknown;
}

export class ExternalServiceError extends Error {
  override readonly name = 'ExternalServiceError';
  readonly service: string;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly status: number | undefined;
  constructor(message: string, options: ExternalServiceErrorOptions) {
    super(message, { cause: options.cause });
    this.service = options.service;
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryAfterMs;
    this.status = options.status;
  }
}

export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}

export class AuthError extends Error {
  override readonly name = 'AuthError';
}

/** A precondition on stored state failed (duplicate key, stale attempt, spent token). */
export class ConflictError extends Error {
  override readonly name = 'ConflictError';
}

/** Input from a caller failed validation; `field` names the offending field, `problems` every one. */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  constructor(
    message: string,
    readonly field?: string,
    readonly problems: readonly { field: string; message: string }[] = [],
  ) {
    super(message);
  }
}
