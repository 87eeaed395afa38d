import { ExternalServiceError } from '../../errors/index.js';

/**
 * Converts a fly-admin failure into an ExternalServiceError, once, here.
 *
 * fly-admin throws a plain `Error("<status>: <body>")` for any non-2xx answer,
 * so the status can only be read from the message; this is the one place that
 * does it. Transport failures come from node-fetch (via cross-fetch) as a
 * FetchError with `type: 'system'` and a `code` such as ECONNRESET: the request
 * may have been applied, so those carry no status and read as ambiguous.
 */
export function toFlyServiceError(error: unknown, action: string): ExternalServiceError {
  if (error instanceof ExternalServiceError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const status = statusOf(error);
  if (status === undefined) {
    return new ExternalServiceError(`Fly ${action}: no answer (${message})`, { service: 'fly', retryable: true, cause: error });
  }
  return new ExternalServiceError(`Fly ${action}: ${message.slice(0, 300)}`, {
    service: 'fly',
    status,
    retryable: status === 408 || status === 429 || status >= 500,
    cause: error,
  });
}

/** The HTTP status of a fly-admin error, or undefined when no answer arrived. */
export function statusOf(error: unknown): number | undefined {
  if (!(error instanceof Error)) return undefined;
  if ((error as { type?: string }).type === 'system') return undefined;
  const match = /^(\d{3}): /.exec(error.message);
  return match ? Number(match[1]) : undefined;
}

/** 404/412 from a stop or delete: the machine is already stopped, destroyed or gone. */
export function isGone(error: unknown): boolean {
  const status = statusOf(error);
  return status === 404 || status === 412;
}
