import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src/domain/run.js';
import { SECRETS, startHarness, type OrchestratorHarness } from '../support/orchestrator-harness.js';
import { proseOf } from '../support/markdown-prose.js';

/** No shape to recognise it by: only the registry, told when an operator set it, can scrub it. */
const TEAM_SECRET = 'report-team-secret-Zq81Xw3Rt';
/** Set only after the run finished: the stored report still holds it, so the report's own doors must scrub it. */
const LATE_SECRET = 'late-secret-Vb73Kq09Lp';
const HOSTILE = 'see ``` [click](javascript:alert(1)) ` <script>alert(1)</script> ](http://evil) ` <img src=x onerror=alert(2)>';

/**
 * Run reports end to end (issue 19 item 8): a run dispatched by the real
 * composition root to the GitHub Actions emulator, its steps and result
 * posted to `/runner/progress` and `/runner/result` with real tokens, then
 * its report read through `/api` and the run page's downloads over HTTP.
 */
describe('the report of a finished run (whole orchestrator)', () => {
  let h: OrchestratorHarness;
  let bearer: string;
  let finished: Run;
  let live: Run;
  let prUrl: string;

  const api = (path: string, init: RequestInit = {}) => fetch(`${h.orchestrator.url}${path}`, { ...init, headers: { authorization: `Bearer ${bearer}`, ...init.headers } });
  const panel = (path: string, signedIn = true) =>
    fetch(`${h.orchestrator.url}${path}`, { redirect: 'manual', headers: signedIn ? { cookie: `ai_implement_admin=${encodeURIComponent(bearer)}` } : {} });

  async function dispatched(title: string): Promise<Run> {
    const issue = h.linear.store.addIssue({ team: 'REP', title, labels: ['AI-Implement'] });
    await h.cycle();
    const [run] = await h.runsOf(issue.identifier);
    if (!run) throw new Error('no run was dispatched');
    return run;
  }

  async function runner(path: string, token: string, body: Record<string, unknown>): Promise<void> {
    const res = await fetch(`${h.orchestrator.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
    expect(res.status, `${path}: ${await res.text()}`).toBe(200);
  }

  const at = (base: number, s: number) => new Date(base + s * 1000).toISOString();

  beforeAll(async () => {
    h = await startHarness();
    h.addActionsRepo('report-app');
    h.linear.store.addTeam({ key: 'REP' });
    h.linear.store.addLabel({ name: 'AI-Implement', team: null });
    await h.addMapping({ teamKey: 'REP', owner: 'acme', repo: 'report-app', defaultBranch: 'main', executionMode: 'github-actions' });
    const auth = await fetch(`${h.orchestrator.url}/api/auth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: SECRETS.adminAccessCode }) });
    bearer = ((await auth.json()) as { token: string }).token;
    const secret = await api('/api/mappings/REP/secrets', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'DEPLOY_KEY', value: TEAM_SECRET }) });
    expect(secret.status).toBe(201);

    const run = await dispatched('Count the widgets');
    const tokens = h.orchestrator.services.tokens!.mint(run.id, run.attempt, run.deadlineAt!);
    prUrl = `${h.github.url}/acme/report-app/pull/3`;
    const t0 = h.clock();
    const steps = [
      { id: 'clone', type: 'clone', status: 'passed', startedAt: at(t0, 0), finishedAt: at(t0, 4) },
      { id: 'implement', type: 'implement', status: 'passed', startedAt: at(t0, 5), finishedAt: at(t0, 95), output: { note: `${HOSTILE} key ${TEAM_SECRET} and ${LATE_SECRET}` } },
      { id: 'verify', type: 'verify', status: 'passed', startedAt: at(t0, 96), finishedAt: at(t0, 126), output: { commands: ['npm run test'], failed: [] } },
      { id: 'review', type: 'review', status: 'passed', startedAt: at(t0, 130), finishedAt: at(t0, 150), output: { commentId: 7, url: `${prUrl}#issuecomment-7`, gapAnalysis: `Gaps: ${HOSTILE} ${TEAM_SECRET}` } },
      { id: 'report', type: 'report', status: 'passed', startedAt: at(t0, 151), finishedAt: at(t0, 152), output: { commits: 1, diffStats: { base: 'origin/main', filesChanged: 2, insertions: 30, deletions: 4 } } },
    ];
    await runner('/runner/progress', tokens.progressToken, { runId: run.id, attempt: run.attempt, steps });
    await runner('/runner/result', tokens.resultToken, {
      runId: run.id,
      attempt: run.attempt,
      outcome: 'succeeded',
      prUrl,
      prNumber: 3,
      branch: 'ai-implement/widgets',
      summary: `Counted the widgets. ${HOSTILE} deployed with ${TEAM_SECRET}`,
      costUsd: 0.0421,
      tokens: { input: 12_345, output: 2_345, cacheRead: 10_000 },
      agent: { runtime: 'claude-code', model: 'claude-sonnet-4-5', provider: 'anthropic' },
    });
    finished = await h.waitForTerminal(run.id);
    expect(finished.status).toBe('pr_opened');
    live = await dispatched('Still going');
    const late = await api('/api/global-secrets', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'LATE_KEY', value: LATE_SECRET }) });
    expect(late.status).toBe(201);
  }, 60_000);

  afterAll(async () => {
    await h?.stop();
  });

  it('answers the JSON report: steps with durations, PR, diff stats, gap analysis, tokens and cost', async () => {
    const res = await api(`/api/runs/${finished.id}/report`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('content-disposition')).toBeNull();
    const text = await res.text();
    const report = JSON.parse(text) as Record<string, any>;
    expect(report).toMatchObject({
      version: 1,
      final: true,
      run: { id: finished.id, identifier: finished.identifier, status: 'pr_opened', phase: 'implement', backend: 'github-actions', triggerSource: 'poll' },
      pullRequest: { url: prUrl, number: 3 },
      branch: 'ai-implement/widgets',
      agent: { runtime: 'claude-code', model: 'claude-sonnet-4-5', provider: 'anthropic' },
      usage: { tokens: { input: 12_345, output: 2_345, cacheRead: 10_000 }, costUsd: 0.0421 },
      commits: 1,
      checks: { commands: ['npm run test'], failed: [] },
      diffStats: { reported: true, base: 'origin/main', filesChanged: 2, insertions: 30, deletions: 4 },
      gapAnalysis: { reported: true, commentUrl: `${prUrl}#issuecomment-7` },
    });
    expect(report.steps.map((s: { id: string; durationMs: number }) => [s.id, s.durationMs])).toEqual([
      ['clone', 4_000],
      ['implement', 90_000],
      ['verify', 30_000],
      ['review', 20_000],
      ['report', 1_000],
    ]);
    expect(report.run.durationMs).toBeGreaterThanOrEqual(0);
    // The hostile text is data: there, parsed back, but no tag in the bytes and no secret anywhere.
    expect(report.summary).toContain('<script>alert(1)</script>');
    expect(text).not.toMatch(/<script|<img/);
    expect(text).not.toContain(TEAM_SECRET);
    expect(text).not.toContain(LATE_SECRET);
    expect(report.steps[1].output.note).toContain('key [REDACTED');
    expect(report.gapAnalysis.text).toContain('[click](javascript:alert(1))');
  });

  it('answers Markdown for format=md and for Accept: text/markdown, as an attachment named after the ticket and run', async () => {
    for (const [path, headers] of [
      [`/api/runs/${finished.id}/report?format=md`, {}],
      [`/api/runs/${finished.id}/report`, { accept: 'text/markdown' }],
    ] as const) {
      const res = await api(path, { headers });
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/markdown; charset=utf-8/);
      expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${finished.identifier}-${finished.id}.md"`);
      const md = await res.text();
      expect(md).toContain(`# Run report: \`${finished.identifier}\` implement`);
      expect(md).toContain(`| Pull request | <${prUrl}> (#3) |`);
      expect(md).toContain('| Tokens | 12,345 in / 2,345 out / 10,000 cache read tokens |');
      expect(md).toContain('| Cost | $0.0421 |');
      expect(md).toContain('| Diff | 2 file(s) changed, +30 / −4 against `origin/main` |');
      expect(md).toMatch(/\| `implement` \| `implement` \| passed \| \S+ \| 1m 30s \|/);
      expectInertMarkdown(md);
    }
    expect((await api(`/api/runs/${finished.id}/report?format=json`, { headers: { accept: 'text/markdown' } })).headers.get('content-type')).toMatch(/^application\/json/);
  });

  function expectInertMarkdown(md: string): void {
    expect(md).toContain('<script>alert(1)</script>');
    expect(md).not.toContain(TEAM_SECRET);
    expect(md).not.toContain(LATE_SECRET);
    const prose = proseOf(md);
    for (const bad of ['<script', '<img', 'javascript:', 'http://evil', '[click]']) expect(prose, bad).not.toContain(bad);
    // The links left in the prose are the PR's and its review comment's (the runner job's URL when the emulator gave one).
    for (const [, url] of prose.matchAll(/<(https?:[^>]+)>/g)) expect(url!.startsWith(h.github.url)).toBe(true);
  }

  it('answers 404 for an unknown run, 409 with a sentence for a live one, 400 for a bad format, 401 without a token', async () => {
    const unknown = await api('/api/runs/no-such-run/report');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { message: string }).message).toContain('no-such-run');
    const early = await api(`/api/runs/${live.id}/report`);
    expect(early.status).toBe(409);
    expect(((await early.json()) as { message: string }).message).toBe(`Run ${live.id} of ${live.identifier} is ${live.status}; its report is written when it finishes.`);
    const bad = await api(`/api/runs/${finished.id}/report?format=pdf`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { field: string }).field).toBe('format');
    expect((await fetch(`${h.orchestrator.url}/api/runs/${finished.id}/report`)).status).toBe(401);
  });

  it('is documented in the OpenAPI document', async () => {
    const doc = (await (await api('/api/openapi.json')).json()) as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    expect(Object.keys(doc.paths['/api/runs/{runId}/report']!.get!.responses).sort()).toEqual(['200', '400', '401', '404', '409']);
  });

  it('shows a Report card on the run page, with download links, the hostile text escaped and the secret gone', async () => {
    const res = await panel(`/admin/runs/${finished.id}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('data-run-report');
    expect(html).toContain(`href="/admin/runs/${finished.id}/report.md"`);
    expect(html).toContain(`href="/admin/runs/${finished.id}/report.json"`);
    expect(html).toContain(`<a href="${prUrl}" rel="noreferrer">#3</a>`);
    expect(html).toContain('2 file(s) changed, +30 / −4 against origin/main');
    expect(html).toContain('12,345 in / 2,345 out / 10,000 cache read tokens');
    expect(html).toContain('$0.0421');
    expect(html).toMatch(/<td>implement<\/td>[\s\S]*?<td class="num">1m 30s<\/td>/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toMatch(/<script>alert|<img src=x|href="javascript:|href="http:\/\/evil/);
    expect(html).not.toContain(TEAM_SECRET);
    expect(html).not.toContain(LATE_SECRET);
    // A live run has no report yet.
    expect(await (await panel(`/admin/runs/${live.id}`)).text()).not.toContain('data-run-report');
  });

  it('downloads Markdown and JSON from the panel with a session; a 409 page for a live run', async () => {
    const md = await panel(`/admin/runs/${finished.id}/report.md`);
    expect(md.status).toBe(200);
    expect(md.headers.get('content-disposition')).toBe(`attachment; filename="${finished.identifier}-${finished.id}.md"`);
    expectInertMarkdown(await md.text());
    const json = await panel(`/admin/runs/${finished.id}/report.json`);
    expect(json.status).toBe(200);
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect(json.headers.get('content-disposition')).toBe(`attachment; filename="${finished.identifier}-${finished.id}.json"`);
    const text = await json.text();
    expect(text).not.toMatch(/<script|<img/);
    expect(text).not.toContain(TEAM_SECRET);
    expect(text).not.toContain(LATE_SECRET);
    expect((JSON.parse(text) as { run: { id: string } }).run.id).toBe(finished.id);
    const early = await panel(`/admin/runs/${live.id}/report.md`);
    expect(early.status).toBe(409);
    expect(await early.text()).toContain('its report is written when it finishes');
    expect((await panel('/admin/runs/no-such-run/report.json')).status).toBe(404);
  });

  it('sends a visitor without a session to the login page, and back to the download after logging in', async () => {
    const path = `/admin/runs/${finished.id}/report.md`;
    // A script without a session gets a plain 401; a browser following the link is sent to log in.
    const script = await panel(path, false);
    expect(script.status).toBe(401);
    expect(await script.text()).toContain('/admin/login');
    const anonymous = await fetch(`${h.orchestrator.url}${path}`, { redirect: 'manual', headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toBe(`/admin/login?next=${encodeURIComponent(path)}`);
    const login = await fetch(`${h.orchestrator.url}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: h.orchestrator.url },
      body: new URLSearchParams({ code: SECRETS.adminAccessCode, next: path }).toString(),
    });
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe(path);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const back = await fetch(`${h.orchestrator.url}${path}`, { redirect: 'manual', headers: { cookie } });
    expect(back.status).toBe(200);
    expect(back.headers.get('content-disposition')).toContain('attachment;');
  });
});
