import type { NextFunction, Request, Response } from 'express';
import type { AdminSession } from '../../domain/admin-session.js';
import type { AdminDeps } from './admin-deps.js';
import { readCookie, sessionCookieName } from './cookies.js';
import { csrfTokenFor, csrfTokenMatches, isSameOrigin } from './csrf.js';

/** What a signed-in request carries through the panel handlers. */
export interface AdminRequestState {
  /** Id (the audit actor) and expiry only: the token hash and code fingerprint stay with the auth service. */
  session: Pick<AdminSession, 'id' | 'expiresAt'>;
  token: string;
  csrfToken: string;
}

export function adminState(res: Response): AdminRequestState {
  const state = res.locals.admin as AdminRequestState | undefined;
  if (!state) throw new Error('admin handler reached without a session; requireSession must run first');
  return state;
}

/** Only our own panel paths are followed after login: no open redirect through `next`. */
export function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/admin(\/[A-Za-z0-9._~\-/%?=&+]*)?$/.test(value) ? value : '/admin';
}

/**
 * Loads the session from the cookie. Pages send a browser without one to the
 * login form; anything else (POST, event streams) gets a plain 401.
 */
export function requireSession(auth: AdminDeps['auth'], production: boolean) {
  const cookie = sessionCookieName(production);
  return async function checkSession(req: Request, res: Response, next: NextFunction): Promise<void> {
    try {
      const token = readCookie(req.headers.cookie, cookie);
      const session = token ? await auth.authenticate(token) : undefined;
      if (!token || !session) {
        if (req.method === 'GET' && req.headers.accept?.includes('text/html')) {
          res.redirect(303, `/admin/login?next=${encodeURIComponent(req.originalUrl)}`);
          return;
        }
        res.status(401).type('text/plain').send('Your admin session is missing or expired; log in again at /admin/login.');
        return;
      }
      const state: AdminRequestState = { session: { id: session.id, expiresAt: session.expiresAt }, token, csrfToken: csrfTokenFor(token) };
      res.locals.admin = state;
      next();
    } catch (error) {
      next(error);
    }
  };
}

/**
 * Every state-changing request must come from one of our pages (Origin) and
 * carry the form's CSRF token. Either check alone would do against today's
 * browsers; both together also cover a missing SameSite implementation.
 */
export function requireCsrf(req: Request, res: Response, next: NextFunction): void {
  if (req.method === 'GET' || req.method === 'HEAD') return next();
  const state = res.locals.admin as AdminRequestState | undefined;
  const body = (req.body ?? {}) as Record<string, unknown>;
  const submitted = body._csrf ?? req.headers['x-csrf-token'];
  if (!isSameOrigin(req) || !state || !csrfTokenMatches(state.token, submitted)) {
    res.status(403).type('text/plain').send('Refused: this form did not come from an admin page of this server (CSRF check failed). Reload the page and try again.');
    return;
  }
  next();
}
