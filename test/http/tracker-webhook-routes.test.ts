import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpApp } from '../../src/http/create-http-app.js';
import { HttpMetrics } from '../../src/http/http-metrics.js';
import { startHttpServer, type StartedServer } from '../../src/http/start-http-server.js';
import { InboxWorker } from '../../src/orchestrator/inbox-worker.js';
import { jiraTicketOf, linearTicketOf } from '../../src/orchestrator/tracker-event-handlers.js';
import { createTrackerWebhookRoutes, LINEAR_TIMESTAMP_WINDOW_MS, UNTIMED_REPLAY_WINDOW_MS } from '../../src/http/tracker-webhook-routes.js';
import { LinearEmulator } from '../../src/sandbox/linear/index.js';
import { JiraEmulator } from '../../src/sandbox/jira/index.js';
import { createMemoryStore } from '../../src/store/memory/create-memory-store.js';
import type { Store } from '../../src/store/store.js';
import { createTestLogger } from '../support/test-logger.js';

const LINEAR_SECRET = 'linear-webhook-secret';
const JIRA_SECRET = 'jira-webhook-secret';

describe('Linear and Jira webhook routes', () => {
  let server: StartedServer;
  let store: Store;
  let notified = 0;
  let now = Date.now();
  const linear = new LinearEmulator();
  const jira = new JiraEmulator();

  async function start(secrets: { linear?: string; jira?: string }) {
    store = createMemoryStore({ clock: () => now });
    await store.open();
    const { log } = createTestLogger();
    // The real worker, not started (deliveries stay pending), counting the wake-ups it is given.
    const inbox = new (class extends InboxWorker {
      override notify(): void {
        notified += 1;
      }
    })({ store, handlers: {}, log, clock: () => now });
    const routes = createTrackerWebhookRoutes({
      linearSecret: secrets.linear,
      jiraSecret: secrets.jira,
      accept: (d) => inbox.accept(d),
      clock: () => now,
    });
    server = await startHttpServer(createHttpApp({ log, metrics: new HttpMetrics({ defaultMetrics: false }), production: false, version: 't', isReady: () => true, routers: [routes] }), { port: 0, host: '127.0.0.1' });
  }

  beforeEach(() => {
    notified = 0;
    now = Date.now();
    if (linear.workspace.issues.length === 0) {
      linear.store.addTeam({ key: 'ENG' });
      linear.store.addIssue({ team: 'ENG', title: 'Hook me', labels: ['AI-Implement'] });
      jira.store.addProject('OPS');
      jira.store.addIssue({ project: 'OPS', summary: 'Hook me too', custom: { 'AI-Implement Status': 'Ready' } });
    }
  });
  afterEach(async () => {
    await server.close();
    await store.close();
  });

  function post(path: string, body: string, headers: Record<string, string>) {
    return fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  }

  it('answers 503 while a secret is unset', async () => {
    await start({});
    const delivery = linear.issueWebhook('ENG-1', { secret: LINEAR_SECRET });
    expect((await post('/webhooks/linear', delivery.body, delivery.headers)).status).toBe(503);
    const hook = jira.issueUpdatedWebhook('OPS-1', { secret: JIRA_SECRET });
    expect((await post('/webhooks/jira', hook.body, hook.headers)).status).toBe(503);
  });

  it('records a signed Linear delivery once, refuses bad signatures and stale timestamps', async () => {
    await start({ linear: LINEAR_SECRET });
    const delivery = linear.issueWebhook('ENG-1', { secret: LINEAR_SECRET, updatedFrom: { labelIds: [] } });
    const first = await post('/webhooks/linear', delivery.body, delivery.headers);
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ status: 'accepted' });
    const replay = await post('/webhooks/linear', delivery.body, delivery.headers);
    expect(await replay.json()).toMatchObject({ status: 'duplicate' });
    expect(notified).toBe(1);
    const stored = await store.inbox.getDelivery(delivery.headers['linear-delivery']!);
    expect(stored).toMatchObject({ source: 'linear', event: 'Issue.update', status: 'pending' });

    const forged = await post('/webhooks/linear', delivery.body, { ...delivery.headers, 'linear-signature': linear.signWebhook(delivery.body, 'wrong-secret') });
    expect(forged.status).toBe(401);
    now += LINEAR_TIMESTAMP_WINDOW_MS + 1_000;
    const stale = linear.issueWebhook('ENG-1', { secret: LINEAR_SECRET });
    const late = await post('/webhooks/linear', stale.body, { ...stale.headers, 'linear-delivery': 'another-id' });
    expect(late.status).toBe(401);
    expect(((await late.json()) as { error: string }).error).toBe('stale_delivery');
  });

  it('records a signed Jira delivery keyed by its webhook identifier', async () => {
    await start({ jira: JIRA_SECRET });
    const hook = jira.issueUpdatedWebhook('OPS-1', { secret: JIRA_SECRET });
    const res = await post('/webhooks/jira', hook.body, hook.headers);
    expect(res.status).toBe(200);
    const stored = await store.inbox.getDelivery(hook.headers['x-atlassian-webhook-identifier']!);
    expect(stored).toMatchObject({ source: 'jira', event: 'jira:issue_updated' });
    expect((await post('/webhooks/jira', hook.body, { ...hook.headers, 'x-hub-signature': 'sha256=' + '0'.repeat(64) })).status).toBe(401);
  });

  it('recognises a fresh Linear body re-sent under a new delivery id: duplicate, nothing recorded', async () => {
    await start({ linear: LINEAR_SECRET });
    const delivery = linear.issueWebhook('ENG-1', { secret: LINEAR_SECRET });
    expect(await (await post('/webhooks/linear', delivery.body, delivery.headers)).json()).toMatchObject({ status: 'accepted' });
    now += LINEAR_TIMESTAMP_WINDOW_MS - 5_000; // still inside the window
    const replay = await post('/webhooks/linear', delivery.body, { ...delivery.headers, 'linear-delivery': 'replayed-under-a-new-id' });
    expect(replay.status).toBe(200);
    expect(await replay.json()).toMatchObject({ status: 'duplicate' });
    expect(await store.inbox.getDelivery('replayed-under-a-new-id')).toBeUndefined();
    expect(await store.inbox.backlog()).toEqual({ pending: 1, leased: 0 });
    expect(notified).toBe(1);
    // Another body (a new event) is not mistaken for it.
    const next = linear.issueWebhook('ENG-1', { secret: LINEAR_SECRET, updatedFrom: { title: 'old' } });
    expect(await (await post('/webhooks/linear', next.body, next.headers)).json()).toMatchObject({ status: 'accepted' });
  });

  it('recognises a Jira body re-sent under a new webhook identifier, with or without a timestamp', async () => {
    await start({ jira: JIRA_SECRET });
    const timed = jira.issueUpdatedWebhook('OPS-1', { secret: JIRA_SECRET });
    expect(await (await post('/webhooks/jira', timed.body, timed.headers)).json()).toMatchObject({ status: 'accepted' });
    const timedReplay = await post('/webhooks/jira', timed.body, { ...timed.headers, 'x-atlassian-webhook-identifier': 'timed-replay' });
    expect(await timedReplay.json()).toMatchObject({ status: 'duplicate' });
    expect(await store.inbox.getDelivery('timed-replay')).toBeUndefined();

    // No timestamp: nothing else stops a replay, however late.
    const untimed = JSON.stringify({ webhookEvent: 'jira:issue_updated', issue: { id: '10001', key: 'OPS-1', fields: {} } });
    const headers = { 'x-hub-signature': jira.signWebhook(untimed, JIRA_SECRET), 'x-atlassian-webhook-identifier': 'untimed-1' };
    expect(await (await post('/webhooks/jira', untimed, headers)).json()).toMatchObject({ status: 'accepted' });
    now += UNTIMED_REPLAY_WINDOW_MS - 60_000;
    const late = await post('/webhooks/jira', untimed, { ...headers, 'x-atlassian-webhook-identifier': 'untimed-2' });
    expect(await late.json()).toMatchObject({ status: 'duplicate' });
    expect(await store.inbox.getDelivery('untimed-2')).toBeUndefined();
    expect(await store.inbox.backlog()).toEqual({ pending: 2, leased: 0 });
    // What is remembered is forgotten after its window, so memory stays bounded.
    now += 2 * 60_000;
    expect(await store.tokens.purgeExpired()).toBeGreaterThanOrEqual(2);
  });

  it('answers 400 to a signed delivery whose envelope has the wrong shape, and records nothing', async () => {
    await start({ linear: LINEAR_SECRET, jira: JIRA_SECRET });
    const linearBody = JSON.stringify({ type: 7, action: 'update', data: { id: 'x' }, webhookTimestamp: now });
    const badLinear = await post('/webhooks/linear', linearBody, { 'linear-signature': linear.signWebhook(linearBody, LINEAR_SECRET), 'linear-delivery': 'bad-linear' });
    expect(badLinear.status).toBe(400);
    expect(((await badLinear.json()) as { message: string }).message).toContain('type');
    const jiraBody = JSON.stringify({ webhookEvent: 'jira:issue_updated', timestamp: now, issue: 'OPS-1' });
    const badJira = await post('/webhooks/jira', jiraBody, { 'x-hub-signature': jira.signWebhook(jiraBody, JIRA_SECRET), 'x-atlassian-webhook-identifier': 'bad-jira' });
    expect(badJira.status).toBe(400);
    expect(((await badJira.json()) as { message: string }).message).toContain('issue');
    expect(await store.inbox.getDelivery('bad-linear')).toBeUndefined();
    expect(await store.inbox.getDelivery('bad-jira')).toBeUndefined();
  });
});

describe('which ticket a tracker delivery names', () => {
  it('reads Linear Issue deliveries and ignores other types and malformed ids', () => {
    expect(linearTicketOf({ type: 'Issue', action: 'update', data: { id: 'abc' } })).toEqual({ tracker: 'linear', issueId: 'abc' });
    expect(linearTicketOf({ type: 'Comment', data: { id: 'abc' } })).toBeUndefined();
    expect(linearTicketOf({ type: 'Issue', data: { id: 42 } })).toBeUndefined();
    expect(linearTicketOf({ type: 'Issue', data: 'abc' })).toBeUndefined();
    expect(linearTicketOf('not an object')).toBeUndefined();
  });

  it('reads Jira issue deliveries by key, else id, and ignores other events', () => {
    expect(jiraTicketOf({ webhookEvent: 'jira:issue_updated', issue: { id: '10001', key: 'OPS-1' } })).toEqual({ tracker: 'jira', issueId: 'OPS-1' });
    expect(jiraTicketOf({ webhookEvent: 'jira:issue_created', issue: { id: '10002' } })).toEqual({ tracker: 'jira', issueId: '10002' });
    expect(jiraTicketOf({ webhookEvent: 'comment_created', issue: { key: 'OPS-1' } })).toBeUndefined();
    expect(jiraTicketOf({ webhookEvent: 'jira:issue_updated', issue: { key: 5 } })).toBeUndefined();
  });
});
