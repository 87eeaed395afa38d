import { afterEach, describe, expect, it } from 'vitest';
import { Router } from 'express';
import { createHttpApp } from '../../src/http/create-http-app.js';
import { HttpMetrics } from '../../src/http/http-metrics.js';
import { startHttpServer, type StartedServer } from '../../src/http/start-http-server.js';
import type { NewDelivery } from '../../src/domain/inbox-delivery.js';
import { createGitHubWebhookRoute } from '../../src/http/github-webhook-route.js';
import type { DirectRoute } from '../../src/http/direct-routes.js';
import { signHmacSha256 } from '../../src/http/verify-hmac.js';
import { createTestLogger } from '../support/test-logger.js';
import { postChunked } from '../support/post-chunked.js';

const servers: StartedServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(options: { ready?: () => boolean; routers?: Router[]; direct?: DirectRoute[] } = {}) {
  const { log, lines } = createTestLogger();
  const app = createHttpApp({
    log,
    metrics: new HttpMetrics({ defaultMetrics: false }),
    production: true,
    version: 'test',
    isReady: options.ready ?? (() => true),
    routers: options.routers ?? [],
    direct: options.direct ?? [],
  });
  const started = await startHttpServer(app, { port: 0, host: '127.0.0.1' });
  servers.push(started);
  return { ...started, lines };
}

function boom(): Router {
  const router = Router();
  router.get('/boom', () => {
    throw new Error('secret internal detail at /srv/app.ts:42');
  });
  router.post('/echo', (req, res) => {
    res.json({ bytes: req.rawBody?.length ?? 0, body: req.body as unknown });
  });
  return router;
}

describe('HTTP app', () => {
  it('answers /healthz, and /readyz 503 until the store is open', async () => {
    let ready = false;
    const { url } = await start({ ready: () => ready });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const notReady = await fetch(`${url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toMatchObject({ error: 'not_ready' });
    ready = true;
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
  });

  it('serves Prometheus metrics that count requests by route and status', async () => {
    const { url } = await start();
    await fetch(`${url}/healthz`);
    await fetch(`${url}/nowhere`);
    const res = await fetch(`${url}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(/ai_implement_http_requests_total\{method="GET",route="\/healthz",status="200"\} 1/);
    expect(text).toMatch(/ai_implement_http_requests_total\{method="GET",route="unmatched",status="404"\} 1/);
    expect(text).toContain('ai_implement_http_request_duration_seconds_bucket');
  });

  it('answers unknown routes with JSON 404 and hides internal errors', async () => {
    const { url, lines } = await start({ routers: [boom()] });
    const missing = await fetch(`${url}/no/such/route`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'not_found', message: 'No route for GET /no/such/route' });
    const failed = await fetch(`${url}/boom`);
    expect(failed.status).toBe(500);
    const text = await failed.text();
    expect(text).not.toContain('secret internal detail');
    expect(text).not.toContain('.ts:');
    expect(lines.some((l) => l.includes('secret internal detail'))).toBe(true);
  });

  it('sets security headers, no X-Powered-By, and a CSP on /admin only', async () => {
    const { url } = await start();
    const res = await fetch(`${url}/healthz`);
    expect(res.headers.get('x-powered-by')).toBeNull();
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('strict-transport-security')).toContain('max-age=');
    expect(res.headers.get('content-security-policy')).toBeNull();
    const admin = await fetch(`${url}/admin`);
    expect(admin.headers.get('content-security-policy')).toContain("default-src 'self'");
  });

  it('parses JSON bodies, keeps the raw bytes, and refuses malformed JSON with 400', async () => {
    const { url } = await start({ routers: [boom()] });
    const ok = await fetch(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(await ok.json()).toEqual({ bytes: 7, body: { a: 1 } });
    const bad = await fetch(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'invalid_json' });
  });

  it.each([
    ['/runner/progress', 64 * 1024],
    ['/runner/result', 1024 * 1024],
    ['/api/auth', 16 * 1024],
    ['/trigger/gap-fill', 16 * 1024],
    ['/webhooks/linear', 5 * 1024 * 1024],
  ])('caps %s at %i bytes with a JSON 413, declared or streamed', async (path, cap) => {
    const { url } = await start();
    const declared = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.alloc(cap + 1, 0x20) });
    expect(declared.status).toBe(413);
    expect(await declared.json()).toMatchObject({ error: 'payload_too_large' });
    const streamed = await postChunked(`${url}${path}`, cap + 64 * 1024);
    expect(streamed.status).toBe(413);
    expect(JSON.parse(streamed.body)).toMatchObject({ error: 'payload_too_large' });
    // Exactly at the cap the body is read (and then the route decides: here 404, no route).
    const atCap = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: Buffer.alloc(cap, 0x20) });
    expect(atCap.status).not.toBe(413);
  });
});

describe('GitHub webhook route', () => {
  const payload = JSON.stringify({ action: 'created', comment: { body: '/ai-implement' } });

  async function startWebhook(secret: string | undefined) {
    const accepted: NewDelivery[] = [];
    const seen = new Set<string>();
    const route = createGitHubWebhookRoute({
      secret,
      now: () => 1_700_000_000_000,
      accept: async (delivery) => {
        const duplicate = seen.has(delivery.id);
        seen.add(delivery.id);
        if (!duplicate) accepted.push(delivery);
        return { duplicate };
      },
    });
    return { ...(await start({ direct: [route] })), accepted };
  }

  function post(url: string, headers: Record<string, string>, body = payload) {
    return fetch(`${url}/api/github/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-github-event': 'issue_comment', ...headers }, body });
  }

  it('answers 503 when the secret is unset', async () => {
    const { url } = await startWebhook(undefined);
    const res = await post(url, { 'x-github-delivery': 'd1', 'x-hub-signature-256': signHmacSha256('s', payload, 'sha256=') });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { message: string }).message).toContain('GITHUB_WEBHOOK_SECRET');
  });

  it('answers 401 for a missing or wrong signature and accepts a signed delivery once', async () => {
    const { url, accepted } = await startWebhook('hook-secret');
    expect((await post(url, { 'x-github-delivery': 'd1' })).status).toBe(401);
    expect((await post(url, { 'x-github-delivery': 'd1', 'x-hub-signature-256': signHmacSha256('other', payload, 'sha256=') })).status).toBe(401);
    const signature = signHmacSha256('hook-secret', payload, 'sha256=');
    const first = await post(url, { 'x-github-delivery': 'd1', 'x-hub-signature-256': signature });
    expect(first.status).toBe(202);
    expect(await first.json()).toEqual({ status: 'accepted', id: 'd1' });
    const again = await post(url, { 'x-github-delivery': 'd1', 'x-hub-signature-256': signature });
    expect(await again.json()).toEqual({ status: 'duplicate', id: 'd1' });
    expect(accepted).toHaveLength(1);
    expect(accepted[0]).toMatchObject({ id: 'd1', source: 'github', event: 'issue_comment' });
    expect(accepted[0]!.rawPayload?.toString('utf8')).toBe(payload);
  });

  it('refuses a signed body that is not a JSON object with a 400, recording nothing', async () => {
    const { url, accepted } = await startWebhook('hook-secret');
    const cases: [string, string, string][] = [
      ['{"action":', 'application/json', 'invalid_json'],
      ['[1,2]', 'application/json', 'invalid_payload'],
      ['null', 'application/json', 'invalid_payload'],
      ['payload=%7B%7D', 'application/x-www-form-urlencoded', 'invalid_payload'],
    ];
    for (const [body, type, error] of cases) {
      const res = await fetch(`${url}/api/github/webhook`, {
        method: 'POST',
        headers: { 'content-type': type, 'x-github-event': 'issue_comment', 'x-github-delivery': `bad-${error}`, 'x-hub-signature-256': signHmacSha256('hook-secret', body, 'sha256=') },
        body,
      });
      expect(res.status, body).toBe(400);
      expect(await res.json()).toMatchObject({ error });
    }
    const noEvent = await fetch(`${url}/api/github/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-github-delivery': 'x', 'x-hub-signature-256': signHmacSha256('hook-secret', payload, 'sha256=') }, body: payload });
    expect(noEvent.status).toBe(400);
    expect(await noEvent.json()).toMatchObject({ error: 'missing_header' });
    expect(accepted).toHaveLength(0);
  });

  it('answers with the security headers and counts the route in /metrics, like express routes', async () => {
    const { url } = await startWebhook('hook-secret');
    const res = await post(url, { 'x-github-delivery': 'm1', 'x-hub-signature-256': signHmacSha256('hook-secret', payload, 'sha256=') });
    expect(res.status).toBe(202);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('strict-transport-security')).toContain('max-age=');
    expect(res.headers.get('content-type')).toContain('application/json');
    // A trailing slash and a query string reach the same route, as in express.
    expect((await fetch(`${url}/api/github/webhook/?x=1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload })).status).toBe(401);
    // Other methods fall through to express.
    expect((await fetch(`${url}/api/github/webhook`)).status).toBe(404);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/ai_implement_http_requests_total\{method="POST",route="\/api\/github\/webhook",status="202"\} 1/);
    expect(metrics).toMatch(/ai_implement_http_requests_total\{method="POST",route="\/api\/github\/webhook",status="401"\} 1/);
  });

  it('caps the body at 25 MiB with a JSON 413, declared or streamed, before checking anything else', async () => {
    const { url, accepted } = await startWebhook('hook-secret');
    const cap = 25 * 1024 * 1024;
    const declared = await fetch(`${url}/api/github/webhook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.alloc(cap + 1, 0x20) });
    expect(declared.status).toBe(413);
    expect(await declared.json()).toMatchObject({ error: 'payload_too_large', message: expect.stringContaining('25 MiB') });
    const streamed = await postChunked(`${url}/api/github/webhook`, cap + 64 * 1024);
    expect(streamed.status).toBe(413);
    expect(accepted).toHaveLength(0);
  });
});

