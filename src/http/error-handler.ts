import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { AuthError, ConflictError, ExternalServiceError, NotFoundError, ValidationError } from '../errors/index.js';
import { StoreNotOpenError } from '../store/store.js';
import { HttpError } from './http-error.js';

/** What a client is told to wait while the store opens (a large history takes seconds). */
export const STARTING_RETRY_AFTER_S = 5;

interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

/** Maps thrown errors to JSON answers; unknown errors become a 500 without details. */
export function toAnswer(error: unknown): Answer | undefined {
  if (error instanceof HttpError) {
    return { status: error.status, body: { error: error.code, message: error.message, ...error.details }, headers: error.headers };
  }
  if (error instanceof ValidationError) {
    return {
      status: 400,
      body: { error: 'invalid_request', message: error.message, ...(error.field ? { field: error.field } : {}), ...(error.problems.length > 0 ? { problems: error.problems } : {}) },
    };
  }
  if (error instanceof NotFoundError) return { status: 404, body: { error: 'not_found', message: error.message } };
  if (error instanceof ConflictError) return { status: 409, body: { error: 'conflict', message: error.message } };
  if (error instanceof AuthError) return { status: 401, body: { error: 'unauthorized', message: error.message } };
  if (error instanceof StoreNotOpenError) {
    return { status: 503, body: { error: 'starting', message: 'The orchestrator is starting (its store is not open yet); try again shortly' }, headers: { 'Retry-After': String(STARTING_RETRY_AFTER_S) } };
  }
  if (error instanceof ExternalServiceError) {
    // Another service failed us: not the caller's fault, and worth retrying later.
    const retryAfter = Math.max(1, Math.ceil((error.retryAfterMs ?? 5_000) / 1000));
    return { status: 503, body: { error: 'upstream_unavailable', message: error.message, service: error.service }, headers: { 'Retry-After': String(retryAfter) } };
  }
  return undefined;
}

export function createErrorHandler(log: Logger) {
  return function handleError(error: unknown, req: Request, res: Response, _next: NextFunction): void {
    const answer = toAnswer(error) ?? {
      status: 500,
      body: { error: 'internal_error', message: 'The server failed to handle this request; the details are in its log.' },
    };
    if (answer.status >= 500) log.error({ err: error, method: req.method, path: req.path }, 'request failed');
    else log.debug({ status: answer.status, method: req.method, path: req.path, reason: answer.body.error }, 'request refused');
    if (res.headersSent) {
      res.end();
      return;
    }
    for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
    res.status(answer.status).json(answer.body);
  };
}

export function notFoundHandler(req: Request, res: Response): void {
  res.status(404).json({ error: 'not_found', message: `No route for ${req.method} ${req.path}` });
}
