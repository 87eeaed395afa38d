import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type OrchestratorHarness } from '../support/orchestrator-harness.js';

/** The distinct `route` labels of the request counter in a /metrics page. */
function routeLabels(metrics: string): Set<string> {
  const labels = new Set<string>();
  for (const match of metrics.matchAll(/^ai_implement_http_requests_total\{[^}]*route="([^"]*)"/gm)) labels.add(match[1]!);
  return labels;
}

/**
 * `/metrics` and every route are reachable without credentials, so a label
 * taken from the request path lets anyone grow the registry without bound.
 * Labels must be route templates, with one bucket for paths no route knows.
 */
describe('request metrics under a flood of junk paths (whole orchestrator)', () => {
  let h: OrchestratorHarness;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.stop());

  it('10,000 junk paths answered 400, 401 and 404 leave the route labels bounded and /metrics small', async () => {
    const base = h.orchestrator.url;
    const junk = (i: number): [string, RequestInit] => {
      const token = `junk-${i.toString(36)}-${'x'.repeat(20)}`;
      switch (i % 5) {
        case 0: // malformed JSON: the body parser answers 400 before any route matches
          return [`/${token}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' }];
        case 1:
          return [`/${token}/deeper`, { method: 'GET' }];
        case 2: // the /api guard answers 401 before any route matches
          return [`/api/${token}`, { method: 'GET' }];
        case 3:
          return [`/admin/${token}`, { method: 'GET' }];
        default:
          return [`/${token}?q=${i}`, { method: 'DELETE', headers: { 'content-type': 'application/json' }, body: '[' }];
      }
    };
    let next = 0;
    const statuses = new Map<number, number>();
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < 10_000) {
          const [path, init] = junk(next++);
          const res = await fetch(`${base}${path}`, { ...init, redirect: 'manual' });
          await res.arrayBuffer();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        }
      }),
    );
    // The flood really did reach the refusals that used to be labelled by path.
    expect(statuses.get(400)).toBeGreaterThan(0);
    expect(statuses.get(404)).toBeGreaterThan(0);
    expect([...statuses.keys()].every((s) => s < 500)).toBe(true);

    const metrics = await (await fetch(`${base}/metrics`)).text();
    const labels = routeLabels(metrics);
    expect([...labels].filter((l) => l.includes('junk'))).toEqual([]);
    expect(labels.size).toBeLessThan(20);
    expect(Buffer.byteLength(metrics)).toBeLessThan(200 * 1024);
  }, 120_000);
});
