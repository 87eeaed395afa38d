import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AdminAuth } from '../../admin/auth/admin-auth.js';
import type { AdminSession } from '../../domain/admin-session.js';
import { notFoundHandler } from '../error-handler.js';
import { HttpError } from '../http-error.js';
import type { ApiOperation } from './api-operation.js';

/**
 * `/api/*` routes that are not the operator API: they carry their own
 * authentication (HMAC) and must answer whether or not an access code is set.
 */
export const API_PATHS_OUTSIDE_GUARD = ['/api/github/webhook'] as const;

export interface ApiGuardDeps {
  /** Unset when `ADMIN_ACCESS_CODE` is unset: `/admin` and `/api/*` then look like unknown routes. */
  auth: AdminAuth | undefined;
  /** Operations marked `public` (POST /api/auth) pass without a token. */
  operations: readonly ApiOperation[];
}

const SESSION_LOCAL = 'adminSession';

/** The session the guard authenticated, for audit entries (`actor`). */
export function adminSessionOf(res: Response): AdminSession {
  const session = res.locals[SESSION_LOCAL] as AdminSession | undefined;
  // Only reachable if a route module is mounted outside the guard: a bug, not a client error.
  if (!session) throw new Error('admin route reached without an authenticated session');
  return session;
}

/** The bearer token of a request, or undefined. */
export function bearerTokenOf(req: Request): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

/**
 * Guards `/api/*` and `/admin*`. With no access code both answer the same
 * JSON 404 as an unknown route, so a scan cannot tell the panel exists. With
 * one, every `/api/*` operation but the public ones needs a live bearer token;
 * `/admin` pages pass through to the panels, which use their own cookie session.
 */
export function createApiGuard(deps: ApiGuardDeps): RequestHandler {
  const publicRoutes = deps.operations.filter((op) => op.public).map((op) => ({ method: op.method.toUpperCase(), pattern: pathPattern(op.path) }));
  return async function guardApi(req: Request, res: Response, next: NextFunction): Promise<void> {
    // Express matches routes case-insensitively, so /API/mappings reaches the same handler: compare lowercased.
    const path = req.path.toLowerCase();
    const isApi = path === '/api' || path.startsWith('/api/');
    const isAdmin = path === '/admin' || path.startsWith('/admin/');
    if ((!isApi && !isAdmin) || (API_PATHS_OUTSIDE_GUARD as readonly string[]).includes(path)) return next();
    if (!deps.auth) return notFoundHandler(req, res);
    if (isAdmin) return next();
    if (publicRoutes.some((route) => route.method === req.method && route.pattern.test(path))) return next();
    const token = bearerTokenOf(req);
    if (!token) throw unauthorized('missing_token', 'This route needs a bearer token: POST your access code to /api/auth and send the token as "Authorization: Bearer <token>".');
    const session = await deps.auth.authenticate(token);
    if (!session) throw unauthorized('invalid_token', 'The bearer token is unknown, expired or revoked; POST your access code to /api/auth for a new one.');
    res.locals[SESSION_LOCAL] = session;
    next();
  };
}

function unauthorized(code: string, message: string): HttpError {
  return new HttpError(401, code, message, { 'WWW-Authenticate': 'Bearer realm="ai-implement"' });
}

/** `/api/mappings/:teamKey` → a regex matching one path segment per parameter. */
export function pathPattern(path: string): RegExp {
  const escaped = path
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${escaped}/?$`, 'i');
}
