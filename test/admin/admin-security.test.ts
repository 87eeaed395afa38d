import { createAdminCommands } from '../../src/admin/admin-commands.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminDeps } from '../../src/http/admin/admin-deps.js';
import { serializeSessionCookie, sessionCookieName } from '../../src/http/admin/cookies.js';
import { createAdminRouter } from '../../src/http/admin/create-admin-router.js';
import { findProjectRoot } from '../../src/package-info.js';
import { launchBrowser, logIn, screenshot, startSandboxServer, type SandboxServer, type TestBrowser } from './support/admin-browser.js';

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

describe('admin sessions, CSRF and throttling', () => {
  let server: SandboxServer;
  let base: string;
  let evil: Server;
  let evilUrl: string;

  beforeAll(async () => {
    server = await startSandboxServer();
    base = server.orchestrator.url;
    // Another origin (same host, other port) whose page posts a form at the panels.
    evil = createServer((_req, res) => {
      res.setHeader('Content-Type', 'text/html');
      res.end(`<form id="f" method="post" action="${base}/admin/projects/DEMO/pause"><input name="paused" value="true"><input name="_csrf" value="guessed"></form><script>document.getElementById('f').submit()</script>`);
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    evilUrl = `http://127.0.0.1:${(evil.address() as AddressInfo).port}/`;
  }, 60_000);

  afterAll(async () => {
    await new Promise((resolve) => evil?.close(resolve));
    await server?.stop();
  });

  async function loginCookie(): Promise<string> {
    const res = await fetch(`${base}/admin/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base }, body: form({ code: server.orchestrator.config.adminAccessCode! }) });
    expect(res.status).toBe(303);
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    // Not production: a plain-HTTP sandbox must still be able to log in.
    expect(setCookie).not.toMatch(/Secure/);
    return setCookie.split(';')[0]!;
  }

  async function csrfOf(cookie: string): Promise<string> {
    const html = await (await fetch(`${base}/admin/projects`, { headers: { cookie } })).text();
    const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
    expect(token).toBeTruthy();
    return token!;
  }

  it('refuses a cross-origin form post from a logged-in browser (403) and changes nothing', async () => {
    const browser: TestBrowser = await launchBrowser();
    try {
      await logIn(browser.page, server.orchestrator);
      const response = await Promise.all([browser.page.waitForResponse((r) => r.url().endsWith('/admin/projects/DEMO/pause')), browser.page.goto(evilUrl)]).then(([r]) => r);
      expect(response.status()).toBe(403);
      await screenshot(browser.page, '30-csrf-refused');
      expect((await server.orchestrator.store.mappings.get('DEMO'))?.paused).toBe(false);
    } finally {
      await browser.close();
    }
  });

  it('needs both the page’s CSRF token and our Origin for a state change', async () => {
    const cookie = await loginCookie();
    const token = await csrfOf(cookie);
    const post = (headers: Record<string, string>, body: Record<string, string>) =>
      fetch(`${base}/admin/projects/DEMO/cap`, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: form(body) });
    expect((await post({ origin: base }, { maxInProgressAiIssues: '7' })).status).toBe(403);
    expect((await post({ origin: base }, { maxInProgressAiIssues: '7', _csrf: 'x'.repeat(token.length) })).status).toBe(403);
    expect((await post({ origin: 'http://evil.example' }, { maxInProgressAiIssues: '7', _csrf: token })).status).toBe(403);
    expect((await post({}, { maxInProgressAiIssues: '7', _csrf: token })).status).toBe(403);
    expect((await server.orchestrator.store.mappings.get('DEMO'))?.maxInProgressAiIssues).toBe(3);
    const ok = await post({ origin: base }, { maxInProgressAiIssues: '7', _csrf: token });
    expect(ok.status).toBe(303);
    expect((await server.orchestrator.store.mappings.get('DEMO'))?.maxInProgressAiIssues).toBe(7);
    // A login from another site is refused too (login CSRF).
    const foreignLogin = await fetch(`${base}/admin/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.example' }, body: form({ code: server.orchestrator.config.adminAccessCode! }) });
    expect(foreignLogin.status).toBe(403);
  });

  it('logout revokes the session in the store, not only the cookie', async () => {
    const cookie = await loginCookie();
    const token = await csrfOf(cookie);
    const out = await fetch(`${base}/admin/logout`, { method: 'POST', redirect: 'manual', headers: { cookie, origin: base, 'content-type': 'application/x-www-form-urlencoded' }, body: form({ _csrf: token }) });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/Max-Age=0/);
    // The old cookie, replayed, no longer opens anything.
    const again = await fetch(`${base}/admin/projects`, { redirect: 'manual', headers: { cookie, accept: 'text/html' } });
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toMatch(/^\/admin\/login/);
    const events = await fetch(`${base}/admin/runs/x/events`, { headers: { cookie } });
    expect(events.status).toBe(401);
  });

  it('throttles wrong codes with the same throttle as POST /api/auth', async () => {
    const attempt = () => fetch(`${base}/admin/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base }, body: form({ code: 'wrong-code-wrong' }) });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await attempt()).status);
    expect(statuses.slice(0, 5)).toEqual([403, 403, 403, 403, 403]);
    expect(statuses[5]).toBe(429);
    // The API door shares the count: it is throttled too, even with the right code.
    const api = await fetch(`${base}/api/auth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: server.orchestrator.config.adminAccessCode }) });
    expect(api.status).toBe(429);
  });

  it('answers 404 on every admin path when ADMIN_ACCESS_CODE is unset', async () => {
    const refuse = async (): Promise<never> => {
      throw new Error('auth must not be asked when the panels are disabled');
    };
    const auth: AdminDeps['auth'] = { login: refuse, authenticate: refuse, logout: refuse };
    const { orchestrator } = server;
    const app = express();
    app.use(
      createAdminRouter({
        config: { ...orchestrator.config, adminAccessCode: undefined },
        store: orchestrator.store,
        clock: Date.now,
        log: orchestrator.log,
        auth,
        commands: createAdminCommands({ store: orchestrator.store, clock: Date.now, env: { runnerModeOverride: undefined, flySessionsApp: undefined, flySessionsRegion: undefined } }),
        operations: orchestrator.services.operations,
        jira: undefined,
        latestCycle: () => undefined,
        projectRoot: findProjectRoot(),
      }),
    );
    app.use((_req, res) => void res.status(404).send('not found'));
    const disabled = createServer(app);
    await new Promise<void>((resolve) => disabled.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(disabled.address() as AddressInfo).port}`;
      for (const path of ['/admin', '/admin/login', '/admin/jobs', '/admin/static/admin.css']) expect((await fetch(`${url}${path}`)).status, path).toBe(404);
      expect((await fetch(`${url}/admin/login`, { method: 'POST', body: 'code=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status).toBe(404);
    } finally {
      await new Promise((resolve) => disabled.close(resolve));
    }
  });

  it('marks the cookie Secure and host-only in production', () => {
    const name = sessionCookieName(true);
    const cookie = serializeSessionCookie(name, 'token', { production: true, expiresAt: new Date(Date.now() + 60_000).toISOString() });
    expect(name.startsWith('__Host-')).toBe(true);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    expect(cookie).toMatch(/; Path=\//);
  });
});
