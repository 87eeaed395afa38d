import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { Router } from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpApp } from '../../src/http/create-http-app.js';
import { HttpMetrics } from '../../src/http/http-metrics.js';
import { RequestLoad } from '../../src/http/request-load.js';
import { startHttpServer, type StartedServer } from '../../src/http/start-http-server.js';
import { createTestLogger } from '../support/test-logger.js';

/** A response that closes when told to. */
const response = () => new EventEmitter() as unknown as ServerResponse & { emit(event: 'close'): boolean };

function loadAt(share: { value: number }, clock: { now: number }) {
  return new RequestLoad({ now: () => clock.now, utilization: () => ({ snapshot: {} as never, utilization: share.value }), quietMs: 20, sampleMs: 0 });
}

describe('RequestLoad', () => {
  it('is saturated only while requests are answered on a busy loop, and for a quiet window after', () => {
    const share = { value: 0.9 };
    const clock = { now: 1_000 };
    const load = loadAt(share, clock);
    expect(load.saturated()).toBe(false);
    const res = response();
    load.track(res);
    expect(load.inFlight).toBe(1);
    expect(load.saturated()).toBe(true);
    res.emit('close');
    expect(load.inFlight).toBe(0);
    clock.now += 10;
    // Between one answer and a client's next request.
    expect(load.saturated()).toBe(true);
    clock.now += 15;
    expect(load.saturated()).toBe(false);
  });

  it('does not count a trickle of requests on an idle loop as a burst', () => {
    const share = { value: 0.05 };
    const clock = { now: 1_000 };
    const load = loadAt(share, clock);
    load.track(response());
    expect(load.saturated()).toBe(false);
    share.value = 0.8;
    expect(load.saturated()).toBe(true);
  });
});

describe('RequestLoad in the HTTP app', () => {
  const servers: StartedServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('counts requests with a body, not long-lived GETs such as a panel event stream', async () => {
    const load = new RequestLoad();
    const held: (() => void)[] = [];
    const router = Router();
    router.get('/stream', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': open\n\n');
      held.push(() => res.end());
    });
    router.post('/slow', (_req, res) => {
      held.push(() => res.json({ ok: true }));
    });
    const { log } = createTestLogger();
    const server = await startHttpServer(createHttpApp({ log, metrics: new HttpMetrics({ defaultMetrics: false }), load, production: false, version: 't', isReady: () => true, routers: [router] }), { port: 0, host: '127.0.0.1' });
    servers.push(server);
    const stream = await fetch(`${server.url}/stream`);
    expect(stream.status).toBe(200);
    expect(load.inFlight).toBe(0);
    const slow = fetch(`${server.url}/slow`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    await expect.poll(() => held.length).toBe(2);
    expect(load.inFlight).toBe(1);
    held.forEach((release) => release());
    expect((await slow).status).toBe(200);
    await expect.poll(() => load.inFlight).toBe(0);
  });
});
