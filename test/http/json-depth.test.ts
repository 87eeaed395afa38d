import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src/domain/run.js';
import { assertJsonDepth, MAX_JSON_DEPTH } from '../../src/http/json-depth.js';
import { SECRETS, startHarness, type OrchestratorHarness } from '../support/orchestrator-harness.js';

const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const DEEP = nested(10_000);
const hmac = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('hex');

/**
 * JSON nested thousands deep parses fine, then overflows the stack of
 * whatever walks it (validation, storing it): every JSON endpoint must refuse
 * it with 400 `json_too_deep` and record nothing, never answer 500.
 */
describe('deeply nested JSON bodies (whole orchestrator)', () => {
  let h: OrchestratorHarness;
  let run: Run;
  let progressToken: string;
  let resultToken: string;

  beforeAll(async () => {
    h = await startHarness({ GAP_FILL_TRIGGER_SECRET: 'gap-fill-trigger-secret-0123456789' });
    const claim = await h.orchestrator.store.runs.claimTicket({ issueId: 'deep-1', identifier: 'ENG-1', tracker: 'linear', mappingKey: 'ENG', phase: 'implement', backend: 'local', runnerMode: 'default', triggerSource: 'poll' });
    if (!claim.claimed) throw new Error('not claimed');
    run = await h.orchestrator.store.runs.updateRun(claim.run.id, { status: 'running' });
    ({ progressToken, resultToken } = h.orchestrator.services.tokens!.mint(run.id, 1, new Date(Date.now() + 3_600_000).toISOString()));
  });
  afterAll(() => h?.stop());

  const post = async (path: string, body: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${h.orchestrator.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    return { status: res.status, body: (await res.json()) as { error?: string; message?: string } };
  };
  const expectTooDeep = (answer: { status: number; body: { error?: string; message?: string } }) => {
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('json_too_deep');
    expect(answer.body.message).toContain(String(MAX_JSON_DEPTH));
  };

  it('/runner/progress: 400 json_too_deep, no step recorded', async () => {
    const body = `{"runId":"${run.id}","attempt":1,"steps":[{"id":"a","type":"implement","status":"running","output":${DEEP}}]}`;
    expectTooDeep(await post('/runner/progress', body, { authorization: `Bearer ${progressToken}` }));
    expect(await h.orchestrator.store.runs.listSteps(run.id)).toEqual([]);
  });

  it('/runner/result: 400 json_too_deep, the run is not finished and the token is not spent', async () => {
    const body = `{"runId":"${run.id}","attempt":1,"outcome":"failed","extra":${DEEP}}`;
    expectTooDeep(await post('/runner/result', body, { authorization: `Bearer ${resultToken}` }));
    expect((await h.orchestrator.store.runs.getRun(run.id))?.status).toBe('running');
  });

  it('a signed Linear webhook: 400 json_too_deep, nothing in the inbox', async () => {
    const body = `{"type":"Issue","action":"update","webhookTimestamp":${Date.now()},"data":{"id":"x","extra":${DEEP}}}`;
    expectTooDeep(await post('/webhooks/linear', body, { 'linear-signature': hmac(SECRETS.linearWebhook, body), 'linear-delivery': 'deep-linear' }));
    expect(await h.orchestrator.store.inbox.getDelivery('deep-linear')).toBeUndefined();
  });

  it('a signed Jira webhook: 400 json_too_deep, nothing in the inbox', async () => {
    const body = `{"webhookEvent":"jira:issue_updated","timestamp":${Date.now()},"issue":{"id":"1","key":"OPS-1","fields":${DEEP}}}`;
    expectTooDeep(await post('/webhooks/jira', body, { 'x-hub-signature': `sha256=${hmac(SECRETS.jiraWebhook, body)}`, 'x-atlassian-webhook-identifier': 'deep-jira' }));
    expect(await h.orchestrator.store.inbox.getDelivery('deep-jira')).toBeUndefined();
  });

  it('a signed GitHub webhook (the direct route): 400 json_too_deep, nothing in the inbox', async () => {
    const body = `{"action":"created","deep":${DEEP}}`;
    const headers = { 'x-hub-signature-256': `sha256=${hmac(SECRETS.githubWebhook, body)}`, 'x-github-delivery': 'deep-github', 'x-github-event': 'issue_comment' };
    expectTooDeep(await post('/api/github/webhook', body, headers));
    expect(await h.orchestrator.store.inbox.getDelivery('deep-github')).toBeUndefined();
  });

  it('/api/auth and /trigger/gap-fill (16 KiB caps, so 1,000 deep): 400 json_too_deep', async () => {
    const deep = nested(1_000);
    expectTooDeep(await post('/api/auth', `{"code":${deep}}`));
    expectTooDeep(await post('/trigger/gap-fill', deep, { authorization: 'Bearer gap-fill-trigger-secret-0123456789' }));
  });
});

describe('assertJsonDepth', () => {
  it(`allows ${MAX_JSON_DEPTH} levels and refuses one more`, () => {
    expect(() => assertJsonDepth(Buffer.from(nested(MAX_JSON_DEPTH)))).not.toThrow();
    expect(() => assertJsonDepth(Buffer.from(`[${nested(MAX_JSON_DEPTH)}]`))).toThrow(/deeper than 64/);
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    expect(() => assertJsonDepth(Buffer.from(JSON.stringify({ text: `\\"${'[{'.repeat(5_000)}` })))).not.toThrow();
    expect(() => assertJsonDepth(Buffer.from(JSON.stringify({ ü: '€ 💡 [[[[', n: [[1]] })))).not.toThrow();
  });
});
