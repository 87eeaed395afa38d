import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminAuth } from '../../src/admin/auth/admin-auth.js';
import { createWorkQueries } from '../../src/admin/work-queries.js';
import { loadConfig, SecretRegistry } from '../../src/config/index.js';
import type { Blocker, PlanCandidate } from '../../src/domain/plan-dispatch.js';
import type { WorkItem } from '../../src/domain/work-item.js';
import { mountAdminPanels } from '../../src/http/admin/mount-admin-panels.js';
import { createAdminApi } from '../../src/http/api/create-admin-api.js';
import { createHttpApp } from '../../src/http/create-http-app.js';
import { HttpMetrics } from '../../src/http/http-metrics.js';
import { startHttpServer, type StartedServer } from '../../src/http/start-http-server.js';
import { createOperations } from '../../src/operations/create-operations.js';
import type { IntakeCycleResult } from '../../src/orchestrator/intake-cycle.js';
import { createMemoryStore } from '../../src/store/memory/create-memory-store.js';
import type { Store } from '../../src/store/store.js';
import { apiClient } from '../api/support/api-client.js';
import { buildMapping } from '../support/test-mapping.js';
import { createTestLogger } from '../support/test-logger.js';

const CODE = 'work-doors-access-code';
const PR = 'https://github.com/acme/app/pull/31';

function item(id: string, identifier: string, teamKey = 'ENG'): WorkItem {
  const at = '2026-01-01T00:00:00.000Z';
  return { tracker: 'linear', id, identifier, title: `Ticket ${identifier}`, description: '', url: `https://linear.example/${identifier}`, lifecycle: 'started', stateName: 'In Progress', labels: [], markers: [], teamKey, blockedBy: [], createdAt: at, updatedAt: at };
}

/** Identifiers in the first column of a panel's first table, in page order. */
function tableIdentifiers(html: string): string[] {
  const table = /<table class="data">([\s\S]*?)<\/table>/.exec(html)?.[1] ?? '';
  return [...table.matchAll(/<tr>\s*<td>(?:<a href="[^"]*"(?: rel="noreferrer")?>)?([A-Z]+-\d+)/g)].map((m) => m[1]!);
}

/** Each pull request row of the panel as [PR URL, ticket, job status, iteration]. */
function pullRows(html: string): [string, string, string, number][] {
  return [...html.matchAll(/<tr>\s*<td><a href="([^"]+)" rel="noreferrer">[^<]*<\/a><\/td>\s*<td><a href="\/admin\/runs\/[^"]+">([A-Z]+-\d+)<\/a>[\s\S]*?<span class="badge tone-\w+">([a-z_]+)<\/span>[\s\S]*?<td class="num">(\d+)<\/td>/g)].map(
    (m) => [m[1]!, m[2]!, m[3]!, Number(m[4])],
  );
}

/**
 * Both doors on one server, as the composition root mounts them: the JSON API
 * and the panels must list the same tickets and pull requests for the same
 * store and intake cycle.
 */
describe('the API and the panels read the same Work queries', () => {
  let store: Store;
  let server: StartedServer;
  let now = Date.parse('2026-01-01T12:00:00.000Z');
  const clock = () => now;
  let cycle: IntakeCycleResult | undefined;
  let token: string;
  let cookie: string;

  beforeAll(async () => {
    store = createMemoryStore({ clock });
    await store.open();
    await store.mappings.upsert(buildMapping({ teamKey: 'ENG' }));
    const claim = async (issueId: string, identifier: string, phase: 'implement' | 'review-feedback') => {
      now += 60_000;
      const result = await store.runs.claimTicket({ issueId, identifier, title: `Ticket ${identifier}`, tracker: 'linear', mappingKey: 'ENG', phase, backend: 'github-actions', runnerMode: 'default', triggerSource: 'poll' });
      if (!result.claimed) throw new Error(`${identifier} was not claimed`);
      return result.run;
    };
    // ENG-3 opened a PR, so the poll no longer returns it; a review round then failed without recording the PR URL.
    const opened = await claim('i3', 'ENG-3', 'implement');
    await store.runs.updateRun(opened.id, { status: 'succeeded', prUrl: PR, finishedAt: new Date(now).toISOString() });
    const review = await claim('i3', 'ENG-3', 'review-feedback');
    await store.runs.updateRun(review.id, { status: 'failed', finishedAt: new Date(now).toISOString() });
    // ENG-1 is in the poll and running.
    await claim('i1', 'ENG-1', 'implement');
    const orphan: Blocker = { issueId: 'o1', identifier: 'OPS-9', title: 'Nobody home', url: 'https://linear.example/OPS-9', tracker: 'linear', teamKey: 'OPS', reason: 'no-mapping', detail: 'no mapping' };
    const candidates: PlanCandidate[] = [
      { item: item('i1', 'ENG-1'), mappingKeys: ['ENG'] },
      { item: item('i2', 'ENG-2'), mappingKeys: ['ENG'] },
      { item: item('o1', 'OPS-9', 'OPS'), mappingKeys: [] },
    ];
    cycle = { at: new Date(now).toISOString(), plan: { starts: [], blockers: [orphan] }, started: [], errors: [], candidates };

    const { log } = createTestLogger(new SecretRegistry(), 'silent');
    const config = loadConfig({ ADMIN_ACCESS_CODE: CODE });
    const auth = new AdminAuth({ accessCode: CODE, sessions: store.adminSessions, clock: Date.now, log });
    const latestCycle = () => cycle;
    const api = createAdminApi({ auth, store, clock, version: 'test', trustedProxyHeader: undefined, runnerModeOverride: undefined, fly: { sessionsApp: undefined, sessionsRegion: undefined }, jira: undefined, latestCycle });
    const settle = { store, trackers: {}, clock, log, retryLimit: 2, dedupWindowMs: 86_400_000 };
    const operations = createOperations({ config, store, log, clock, trackers: {}, github: undefined, backends: {}, settle, flySessionsApp: () => 'sessions' });
    const panels = mountAdminPanels({ config, store, log, clock, operations, latestCycle, auth, commands: api.commands, jira: undefined, redaction: new SecretRegistry() });
    const app = createHttpApp({ log, metrics: new HttpMetrics({ defaultMetrics: false }), production: false, version: 'test', isReady: () => true, routers: [api.router, panels] });
    server = await startHttpServer(app, { port: 0, host: '127.0.0.1' });

    token = await apiClient(server.url).login(CODE);
    const login = await fetch(`${server.url}/admin/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url }, body: new URLSearchParams({ code: CODE }).toString() });
    expect(login.status).toBe(303);
    cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  });

  afterAll(async () => {
    await server?.close();
    await store?.close();
  });

  const api = async (path: string) => (await apiClient(server.url).call('GET', path, { token })).body;
  const panel = async (path: string) => {
    const res = await fetch(`${server.url}${path}`, { headers: { cookie } });
    expect(res.status, path).toBe(200);
    return res.text();
  };

  it('Issues: the polled tickets, then the one only the run history knows; never the unmapped one', async () => {
    const issues = (await api('/api/issues')).issues as { identifier: string; source: string; progress?: string }[];
    expect(issues.map((r) => [r.identifier, r.source, r.progress ?? null])).toEqual([
      ['ENG-1', 'tracker', 'in-progress'],
      ['ENG-2', 'tracker', null],
      ['ENG-3', 'history', 'needs-attention'],
    ]);
    expect(tableIdentifiers(await panel('/admin/issues'))).toEqual(issues.map((r) => r.identifier));
  });

  it('Pull requests: the same PRs with the same status and iteration, the URL-less review round counted', async () => {
    const pulls = (await api('/api/pulls')).pulls as { prUrl: string; identifier: string; status: string; iterations: number }[];
    expect(pulls.map((p) => [p.prUrl, p.identifier, p.status, p.iterations])).toEqual([[PR, 'ENG-3', 'review_failed', 2]]);
    expect(pullRows(await panel('/admin/pulls'))).toEqual(pulls.map((p) => [p.prUrl, p.identifier, p.status, p.iterations]));
  });

  it('Pull requests: a bounded read says it was cut short (the panel reads fewer runs than the API)', async () => {
    const work = createWorkQueries({ store, clock, latestCycle: () => cycle });
    expect(await work.pulls({ maxRuns: 2 })).toMatchObject({ runsScanned: 2, truncated: true, days: 30 });
    expect(await work.pulls()).toMatchObject({ runsScanned: 3, truncated: false });
    expect(await panel('/admin/pulls')).not.toContain('Only the latest');
  });

  it('Blockers: the same tickets', async () => {
    const blockers = (await api('/api/blockers')).blockers as { identifier: string }[];
    expect(blockers.map((b) => b.identifier)).toEqual(['OPS-9']);
    expect(tableIdentifiers(await panel('/admin/blockers'))).toEqual(['OPS-9']);
  });
});
