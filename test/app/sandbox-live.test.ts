import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startSandboxServer, waitForDemoLoop, type SandboxServer } from '../admin/support/admin-browser.js';
import { AI_IMPLEMENT_LABEL } from '../../src/sandbox/seed-demo.js';

describe('sandbox: the emulators send signed webhooks and serve human pages', () => {
  let server: SandboxServer;

  beforeAll(async () => {
    server = await startSandboxServer();
    await waitForDemoLoop(server.orchestrator);
  }, 90_000);

  afterAll(async () => {
    await server.stop();
  });

  it('a ticket added in Linear reaches the orchestrator as a signed Issue webhook and starts a run without waiting for a poll', async () => {
    const { orchestrator } = server;
    const hostile = '<script>alert(1)</script> & "quotes"';
    const result = await orchestrator.sandbox!.control.addTicket({ title: `Add a /ping route ${hostile}`, description: `Body with ${hostile}` });
    expect(result).toMatchObject({ subject: 'DEMO-4', webhook: 200 });
    const run = await eventually(async () => (await orchestrator.store.runs.listRuns({ limit: 50 })).items.find((r) => r.identifier === 'DEMO-4'), 'a run for DEMO-4', 5_000);
    expect(run.mappingKey).toBe('DEMO');
    // The ticket link points at the emulator's page, which shows the hostile title as text.
    expect(result.url.startsWith(orchestrator.sandbox!.emulators.linear.url)).toBe(true);
    const page = await fetch(result.url);
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;');
    expect(text).not.toContain('<script>');
  });

  it('the PR page shows the diff from the pushed branch, and /ai-implement on it starts a gap-fill run', async () => {
    const { orchestrator } = server;
    const { github } = orchestrator.sandbox!.emulators;
    const pull = github.state.pulls.find((p) => p.state === 'open')!;
    const url = `${github.url}/demo-org/demo-app/pull/${pull.number}`;
    const files = await (await fetch(`${url}/files`)).text();
    expect(files).toMatch(/class="file">diff --git a\//);
    expect(files).toMatch(/class="add">\+/);
    const before = (await orchestrator.store.runs.listRuns({ limit: 100 })).items.length;
    // The form on the page, as a browser posts it.
    const posted = await fetch(`${url}/comment`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ body: '/ai-implement add tests' }), redirect: 'manual' });
    expect(posted.status).toBe(303);
    expect(github.webhooks.sent.at(-1)).toMatchObject({ event: 'issue_comment.created', status: 202 });
    const gapFill = await eventually(
      async () => (await orchestrator.store.runs.listRuns({ limit: 100 })).items.find((r) => r.prNumber === pull.number && r.phase === 'gap-fill'),
      'a gap-fill run on the PR',
      10_000,
    );
    expect((await orchestrator.store.runs.listRuns({ limit: 100 })).items.length).toBeGreaterThan(before);
    expect(gapFill.prNumber).toBe(pull.number);
    // The app saw the comment: it reacted with eyes, as on GitHub.
    expect(github.state.reactions.some((r) => r.content === 'eyes')).toBe(true);
    const conversation = await (await fetch(url)).text();
    expect(conversation).toContain('/ai-implement add tests');
  });

  it('merging a PR on the emulator sends pull_request.closed and the orchestrator marks the ticket done', async () => {
    const { orchestrator } = server;
    const { github, jira } = orchestrator.sandbox!.emulators;
    const pull = github.state.pulls.find((p) => p.state === 'open' && /OPS-1/.test(p.body ?? ''))!;
    const result = await orchestrator.sandbox!.control.mergePull(pull.number);
    expect(result.webhook).toBe(202);
    await expect.poll(() => jira.statusOf('OPS-1'), { timeout: 10_000 }).toBe('Done');
    const page = await (await fetch(result.url)).text();
    expect(page).toContain('badge merged');
    // The Jira ticket link (host/browse/KEY) opens the emulator's page.
    const ticket = await fetch(`${jira.url}/browse/OPS-1`);
    expect(ticket.status).toBe(200);
    expect(await ticket.text()).toContain('Log every request with its duration');
  });

  it('a review comment requests changes through pull_request_review_comment and pull_request_review', async () => {
    const { orchestrator } = server;
    const { github } = orchestrator.sandbox!.emulators;
    const pull = github.state.pulls.find((p) => p.state === 'open')!;
    const sentBefore = github.webhooks.sent.length;
    await orchestrator.sandbox!.control.reviewPull(pull.number, 'Please rename this');
    expect(github.webhooks.sent.slice(sentBefore).map((s) => `${s.event} ${s.status}`)).toEqual(['pull_request_review_comment.created 202', 'pull_request_review.submitted 202']);
  });

  it('the Issues view shows a labelled ticket within a second of its webhook, and drops it when the label goes, without waiting for a poll', async () => {
    const { orchestrator } = server;
    const { linear } = orchestrator.sandbox!.emulators;
    const api = await apiClient(orchestrator.url, orchestrator.config.adminAccessCode!);
    // A paused project: the ticket is eligible but no run starts, so only the evaluation can make it appear.
    expect((await api('/api/mappings/DEMO', { method: 'PATCH', body: JSON.stringify({ paused: true }) })).status).toBe(200);
    const issueRow = async (identifier: string) => ((await (await api('/api/issues')).json()) as { issues: { identifier: string; source: string }[] }).issues.find((i) => i.identifier === identifier);
    try {
      const added = await orchestrator.sandbox!.control.addTicket({ title: 'Show the build number in the footer' });
      expect(added.webhook).toBe(200);
      const acked = Date.now();
      await expect.poll(() => issueRow(added.subject), { timeout: 1_000, interval: 50 }).toMatchObject({ identifier: added.subject, source: 'tracker' });
      expect(Date.now() - acked).toBeLessThan(1_000);
      expect((await linear.users.setLabel(added.subject, AI_IMPLEMENT_LABEL, false)).delivered).toBeDefined();
      await expect.poll(() => issueRow(added.subject), { timeout: 1_000, interval: 50 }).toBeUndefined();
    } finally {
      await api('/api/mappings/DEMO', { method: 'PATCH', body: JSON.stringify({ paused: false }) });
    }
  });
});

async function apiClient(url: string, code: string): Promise<(path: string, init?: RequestInit) => Promise<Response>> {
  const auth = await fetch(`${url}/api/auth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) });
  const { token } = (await auth.json()) as { token: string };
  return (path, init = {}) => fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });
}
