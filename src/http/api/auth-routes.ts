import { Router } from 'express';
import { z } from 'zod';
import type { AdminAuth } from '../../admin/auth/admin-auth.js';
import { clientIpOf } from '../../admin/auth/client-ip.js';
import { recordAdminChange } from '../../admin/record-admin-change.js';
import type { AuditLog } from '../../store/store.js';
import { HttpError } from '../http-error.js';
import { adminSessionOf, bearerTokenOf } from './api-guard.js';
import type { ApiRouteModule } from './api-operation.js';
import { parseInput } from './parse-input.js';

export interface AuthRoutesDeps {
  /** Unset means the API is disabled; the guard answers 404 before these routes are reached. */
  auth: AdminAuth | undefined;
  audit: AuditLog;
  clock: () => number;
  trustedProxyHeader: string | undefined;
}

const loginBody = z.object({ code: z.string().min(1, 'is required').max(1024, 'is too long') }).strict();
const loginAnswer = z.object({ token: z.string(), expiresAt: z.string() });

export function createAuthRoutes(deps: AuthRoutesDeps): ApiRouteModule {
  const router = Router();

  router.post('/api/auth', async (req, res) => {
    const auth = requireAuth(deps.auth);
    const { code } = parseInput(loginBody, req.body, 'body');
    const clientIp = clientIpOf(req, deps.trustedProxyHeader);
    const outcome = await auth.login(code, clientIp);
    if (!outcome.ok && outcome.reason === 'throttled') {
      const seconds = Math.max(1, Math.ceil(outcome.retryAfterMs / 1000));
      throw new HttpError(429, 'too_many_attempts', `Too many failed logins from this address; try again in ${seconds} s.`, { 'Retry-After': String(seconds) });
    }
    if (!outcome.ok) throw new HttpError(403, 'wrong_code', 'The access code is wrong.');
    await recordAdminChange(deps.audit, deps.clock, {
      actor: outcome.sessionId,
      action: 'auth.login',
      target: `admin-session:${outcome.sessionId}`,
      after: { clientIp, expiresAt: outcome.expiresAt },
    });
    res.setHeader('Cache-Control', 'no-store');
    res.json({ token: outcome.token, expiresAt: outcome.expiresAt });
  });

  router.post('/api/auth/logout', async (req, res) => {
    const auth = requireAuth(deps.auth);
    const session = adminSessionOf(res);
    await auth.logout(bearerTokenOf(req) ?? '');
    await recordAdminChange(deps.audit, deps.clock, { actor: session.id, action: 'auth.logout', target: `admin-session:${session.id}` });
    res.json({ revoked: true });
  });

  return {
    router,
    operations: [
      {
        method: 'post',
        path: '/api/auth',
        summary: 'Exchange the access code for a bearer token (valid 24 h)',
        body: loginBody,
        response: loginAnswer,
        public: true,
        statuses: { 200: 'token issued', 400: 'body is not {code}', 403: 'wrong access code', 429: 'too many failed logins (Retry-After says when to retry)' },
      },
      {
        method: 'post',
        path: '/api/auth/logout',
        summary: 'Revoke the bearer token of this request',
        response: z.object({ revoked: z.boolean() }),
        statuses: { 200: 'revoked', 401: 'missing or invalid token' },
      },
    ],
  };
}

function requireAuth(auth: AdminAuth | undefined): AdminAuth {
  // The guard answers 404 first when auth is off; this keeps the module safe if mounted alone.
  if (!auth) throw new HttpError(404, 'not_found', 'No such route');
  return auth;
}
