import { Router, type Request, type Response } from 'express';
import type { AdminContext } from '../admin-context.js';
import { safeNext } from '../admin-session.js';
import { readCookie, serializeSessionCookie, sessionCookieName } from '../cookies.js';
import { isSameOrigin } from '../csrf.js';
import { noticeText } from '../notices.js';

export interface LoginVm {
  next: string;
}

/**
 * Login with the access code (the same auth service and throttle as
 * `POST /api/auth`) and logout, which revokes the session in the store.
 */
export function createAuthRoutes(ctx: AdminContext, clientKeyOf: (req: Request) => string): Router {
  const { deps, renderer } = ctx;
  const production = deps.config.production;
  const cookie = sessionCookieName(production);
  const router = Router();

  const loginPage = (req: Request, res: Response, status: number, error?: string) => {
    const notice = noticeText(req.query.notice, req.query.subject);
    const vm: LoginVm = { next: safeNext(req.body?.next ?? req.query.next) };
    res
      .status(status)
      .type('html')
      .send(renderer.page('panels/login', vm, { active: 'login', title: 'Log in', sandbox: deps.config.sandbox, ...(error ? { error } : {}), ...(notice ? { notice } : {}) }));
  };

  router.get('/admin/login', (req, res) => loginPage(req, res, 200));

  router.post('/admin/login', async (req, res, next) => {
    try {
      // No session yet, so no CSRF token: the Origin check stops a foreign page from logging us in.
      if (!isSameOrigin(req)) {
        res.status(403).type('text/plain').send('Refused: the login form must be posted from this server’s own page.');
        return;
      }
      const code = typeof req.body?.code === 'string' ? req.body.code : '';
      const outcome = await deps.auth.login(code, clientKeyOf(req));
      if (!outcome.ok) {
        if (outcome.reason === 'throttled') {
          const seconds = Math.max(1, Math.ceil(outcome.retryAfterMs / 1000));
          res.setHeader('Retry-After', String(seconds));
          loginPage(req, res, 429, `Too many attempts. Try again in ${seconds} s.`);
          return;
        }
        loginPage(req, res, 403, 'That access code is not right.');
        return;
      }
      res.setHeader('Set-Cookie', serializeSessionCookie(cookie, outcome.token, { production, expiresAt: outcome.expiresAt }));
      res.redirect(303, safeNext(req.body?.next));
    } catch (error) {
      next(error);
    }
  });

  return router;
}

/** Mounted behind the session and CSRF guards: no one may sign an operator out from another site. */
export function createLogoutRoute(ctx: AdminContext): Router {
  const production = ctx.deps.config.production;
  const cookie = sessionCookieName(production);
  const router = Router();
  router.post('/admin/logout', async (req, res, next) => {
    try {
      const token = readCookie(req.headers.cookie, cookie);
      if (token) await ctx.deps.auth.logout(token);
      res.setHeader('Set-Cookie', serializeSessionCookie(cookie, '', { production }));
      res.redirect(303, '/admin/login?notice=logged-out');
    } catch (error) {
      next(error);
    }
  });

  return router;
}
