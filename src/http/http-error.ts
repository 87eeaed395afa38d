/**
 * An answer a route decided on (503 disabled, 413 too large, 401 bad
 * signature...). The error handler turns it into `{error, message}` JSON;
 * anything that is not an HttpError or one of the domain errors is a 500
 * whose details stay in the log.
 */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    /** Short machine-readable code, e.g. `payload_too_large`. */
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    /** Extra fields merged into the JSON answer (e.g. the field that failed). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
