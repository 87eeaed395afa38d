import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src/domain/run.js';
import { apiClient, type ApiClient } from '../api/support/api-client.js';
import { SECRETS, startHarness, type OrchestratorHarness } from '../support/orchestrator-harness.js';

const FLY_APP = 'ai-implement-sessions';

/**
 * Stop, retry and delete of one run (issue 19) through the whole
 * orchestrator: the `/api` routes and the run page's buttons, with the job
 * stopped in the Fly and GitHub emulators, the line on the Linear ticket, the
 * audit entry, and the old attempt's real runner tokens refused afterwards.
 */
describe('run actions (whole orchestrator)', () => {
  let h: OrchestratorHarness;
  let api: ApiClient;
  let token: string;

  beforeAll(async () => {
    h = await startHarness();
    h.addActionsRepo('web');
    h.linear.store.addTeam({ key: 'FLY' });
    h.linear.store.addTeam({ key: 'GHA' });
    h.linear.store.addLabel({ name: 'AI-Implement', team: null });
    await h.addMapping({ teamKey: 'FLY', owner: 'acme', repo: 'web', defaultBranch: 'main', executionMode: 'fly-machines' });
    await h.addMapping({ teamKey: 'GHA', owner: 'acme', repo: 'web', defaultBranch: 'main', executionMode: 'github-actions' });
    api = apiClient(h.orchestrator.url);
    token = await api.login(SECRETS.adminAccessCode);
  }, 60_000);
  afterAll(() => h?.stop());

  async function dispatched(team: string, title: string): Promise<{ run: Run; identifier: string }> {
    const issue = h.linear.store.addIssue({ team, title, labels: ['AI-Implement'] });
    await h.cycle();
    const [run] = await h.runsOf(issue.identifier);
    if (!run) throw new Error('no run was dispatched');
    expect(run.status).toBe('launching');
    return { run, identifier: issue.identifier };
  }

  function machineOf(run: Run) {
    const machine = h.fly.state.machinesOf(FLY_APP).find((m) => m.name === `run-${run.id}`);
    if (!machine) throw new Error(`no machine for ${run.id}`);
    return machine;
  }

  const runner = (path: string, bearer: string, body: unknown) =>
    fetch(`${h.orchestrator.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` }, body: JSON.stringify(body) });

  const comments = (identifier: string) => h.linear.commentsOn(identifier).map((c) => c.body);

  async function auditOf(action: string, runId: string) {
    return (await h.orchestrator.store.audit.list({ action, limit: 20 })).items.find((e) => e.target === `run:${runId}`);
  }

  it('stops a Fly run: failed "Stopped via admin", machine destroyed, ticket told, audited, and the runner’s late result refused', async () => {
    const { run, identifier } = await dispatched('FLY', 'Stop me');
    const env = machineOf(run).config.env;
    expect(h.linear.labelNames(identifier)).toContain('AI-Working');

    const stopped = await api.call('POST', `/api/runs/${run.id}/stop`, { token });
    expect(stopped.status).toBe(200);
    expect(stopped.body).toMatchObject({ upstreamCancelled: true, run: { id: run.id, status: 'failed', failureReason: 'Stopped via admin' } });
    expect(stopped.body.warnings).toBeUndefined();
    expect(await h.orchestrator.store.runs.getRun(run.id)).toMatchObject({ status: 'failed', failureReason: 'Stopped via admin' });
    expect(machineOf(run).state).toBe('destroyed');

    expect(comments(identifier)).toContain(`⏹️ AI-Implement run ${run.id} (implement) was stopped by an operator.`);
    expect(h.linear.labelNames(identifier)).not.toContain('AI-Working');
    const audit = await auditOf('run.stop', run.id);
    expect(audit).toMatchObject({ actor: expect.stringMatching(/^admin-session:/), before: { status: 'launching' }, after: { status: 'failed', upstreamCancelled: true } });

    // The runner did not hear in time: its result and progress with the attempt's own tokens are refused.
    const late = await runner('/runner/result', env.AI_IMPLEMENT_RESULT_TOKEN!, { runId: run.id, attempt: run.attempt, outcome: 'succeeded', summary: 'done anyway' });
    expect(late.status).toBe(409);
    expect(await late.json()).toMatchObject({ error: 'run_finished' });
    const progress = await runner('/runner/progress', env.AI_IMPLEMENT_PROGRESS_TOKEN!, { runId: run.id, attempt: run.attempt, steps: [] });
    expect(progress.status).toBe(409);
    expect((await h.orchestrator.store.runs.getRun(run.id))?.status).toBe('failed');

    // A second stop is refused, naming the status the run is in now.
    const again = await api.call('POST', `/api/runs/${run.id}/stop`, { token });
    expect(again.status).toBe(409);
    expect(again.body.message).toBe(`Run ${run.id} is failed; only a queued, claimed, launching, running or retrying run can be stopped.`);
  });

  it('stops a GitHub Actions run by cancelling its workflow run', async () => {
    const { run } = await dispatched('GHA', 'Cancel my workflow');
    expect(run.upstreamId).toBeDefined();
    expect((await api.call('POST', `/api/runs/${run.id}/stop`, { token })).status).toBe(200);
    const workflowRun = h.github.state.runs.find((r) => String(r.id) === run.upstreamId);
    expect(workflowRun).toMatchObject({ status: 'completed', conclusion: 'cancelled' });
  });

  it('retries a stopped run as a new run (source retry) whose old tokens stay refused; refuses a live run and a second retry', async () => {
    const { run, identifier } = await dispatched('FLY', 'Retry me');
    const oldEnv = machineOf(run).config.env;
    const notYet = await api.call('POST', `/api/runs/${run.id}/retry`, { token });
    expect(notYet.status).toBe(409);
    expect(notYet.body.message).toBe(`Run ${run.id} is launching; only a failed, timed_out, interrupted or cancelled run can be retried.`);

    expect((await api.call('POST', `/api/runs/${run.id}/stop`, { token })).status).toBe(200);
    const retried = await api.call('POST', `/api/runs/${run.id}/retry`, { token });
    expect(retried.status).toBe(201);
    const fresh = retried.body.run as Run;
    expect(retried.body.retriedFrom).toBe(run.id);
    expect(fresh).toMatchObject({ issueId: run.issueId, phase: 'implement', triggerSource: 'retry', retryOf: run.id, dispatchNumber: 2, attempt: 1, status: 'launching' });
    expect(fresh.id).not.toBe(run.id);
    const freshEnv = machineOf(fresh).config.env;
    expect(freshEnv.AI_IMPLEMENT_PROGRESS_TOKEN).not.toBe(oldEnv.AI_IMPLEMENT_PROGRESS_TOKEN);

    // The old attempt's tokens are refused; the new run's work.
    const stale = await runner('/runner/progress', oldEnv.AI_IMPLEMENT_PROGRESS_TOKEN!, { runId: run.id, attempt: run.attempt, steps: [] });
    expect(stale.status).toBe(409);
    expect(await stale.json()).toMatchObject({ error: 'run_finished' });
    expect((await runner('/runner/progress', freshEnv.AI_IMPLEMENT_PROGRESS_TOKEN!, { runId: fresh.id, attempt: fresh.attempt, steps: [] })).status).toBe(200);

    expect(comments(identifier)).toContain(`🔁 AI-Implement run ${run.id} (implement) was retried by an operator as run ${fresh.id}.`);
    expect(await auditOf('run.retry', run.id)).toMatchObject({ actor: expect.stringMatching(/^admin-session:/), after: { runId: fresh.id, triggerSource: 'retry' } });
    // The start itself is recorded like any other, through the one start path.
    const start = (await h.orchestrator.store.audit.list({ action: 'dispatch.start', limit: 50 })).items.find((e) => e.target === fresh.id);
    expect(start?.after).toMatchObject({ triggerSource: 'retry', dispatchNumber: 2 });

    // The ticket now has a live run: retrying the old one again is refused (one live run per ticket and phase).
    const second = await api.call('POST', `/api/runs/${run.id}/retry`, { token });
    expect(second.status).toBe(409);
    // (running: the new runner reported progress above)
    expect(second.body.message).toBe(`Run ${fresh.id} of ${identifier} is running; only one implement run of a ticket may be live.`);
    expect((await h.runsOf(identifier)).filter((r) => r.status === 'running' || r.status === 'launching').map((r) => r.id)).toEqual([fresh.id]);
  });

  it('refuses to retry into a paused project', async () => {
    const { run } = await dispatched('FLY', 'Paused retry');
    expect((await api.call('POST', `/api/runs/${run.id}/stop`, { token })).status).toBe(200);
    await api.call('PATCH', '/api/mappings/FLY', { token, body: { paused: true } });
    try {
      const refused = await api.call('POST', `/api/runs/${run.id}/retry`, { token });
      expect(refused.status).toBe(409);
      expect(refused.body.message).toBe(`Project FLY is paused; resume it to retry run ${run.id}.`);
    } finally {
      await api.call('PATCH', '/api/mappings/FLY', { token, body: { paused: false } });
    }
  });

  it('deletes only a finished run, with its report, and says so on the ticket', async () => {
    const { run, identifier } = await dispatched('FLY', 'Delete me');
    await runner('/runner/progress', machineOf(run).config.env.AI_IMPLEMENT_PROGRESS_TOKEN!, { runId: run.id, attempt: 1, steps: [{ id: 'agent', type: 'agent', status: 'running' }] });
    const live = await api.call('DELETE', `/api/runs/${run.id}`, { token });
    expect(live.status).toBe(409);
    expect(live.body.message).toMatch(new RegExp(`^Run ${run.id} is (launching|running); only a pr_opened, succeeded, failed, timed_out, cancelled or interrupted run can be deleted\\. Stop it first\\.$`));
    expect(await h.orchestrator.store.runs.getRun(run.id)).toBeDefined();

    expect((await api.call('POST', `/api/runs/${run.id}/stop`, { token })).status).toBe(200);
    expect((await h.orchestrator.store.runs.listSteps(run.id)).length).toBeGreaterThan(0);
    const deleted = await api.call('DELETE', `/api/runs/${run.id}`, { token });
    expect(deleted).toMatchObject({ status: 200, body: { runId: run.id, identifier } });
    expect(await h.orchestrator.store.runs.getRun(run.id)).toBeUndefined();
    expect(await h.orchestrator.store.runs.listSteps(run.id)).toEqual([]);
    expect(await h.runsOf(identifier)).toEqual([]);
    expect(comments(identifier)).toContain(`🗑️ AI-Implement run ${run.id} (implement) and its report were deleted by an operator.`);
    expect(await auditOf('run.delete', run.id)).toMatchObject({ actor: expect.stringMatching(/^admin-session:/), before: { issue: identifier, status: 'failed' } });
    expect((await api.call('DELETE', `/api/runs/${run.id}`, { token })).status).toBe(404);
  });

  it('answers 404 for an unknown run and 400 for a malformed id, on every action', async () => {
    for (const [method, path] of [
      ['POST', '/api/runs/no-such-run/stop'],
      ['POST', '/api/runs/no-such-run/retry'],
      ['DELETE', '/api/runs/no-such-run'],
    ] as const) {
      const answer = await api.call(method, path, { token });
      expect(answer, `${method} ${path}`).toMatchObject({ status: 404, body: { error: 'not_found', message: 'There is no run no-such-run.' } });
      expect((await api.call(method, path.replace('no-such-run', 'bad%20id'), { token })).status, `${method} ${path}`).toBe(400);
      expect((await api.call(method, path)).status, `${method} ${path} without a token`).toBe(401);
    }
  });

  it('offers the allowed actions on the run page and stops a run from its button (CSRF-protected form post)', async () => {
    const { run, identifier } = await dispatched('FLY', 'Stop me from the page');
    const base = h.orchestrator.url;
    const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
    const login = await fetch(`${base}/admin/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base }, body: form({ code: SECRETS.adminAccessCode }) });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    expect(cookie).toMatch(/=/);

    const page = await (await fetch(`${base}/admin/runs/${run.id}`, { headers: { cookie } })).text();
    expect(page).toContain(`action="/admin/runs/${run.id}/stop"`);
    expect(page).not.toContain(`action="/admin/runs/${run.id}/retry"`);
    expect(page).not.toContain(`action="/admin/runs/${run.id}/delete"`);
    expect(page).toMatch(/data-confirm="Stop run [^"]+\? Its job is cancelled/);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1];
    expect(csrf).toBeDefined();

    const post = (fields: Record<string, string>) =>
      fetch(`${base}/admin/runs/${run.id}/stop`, { method: 'POST', redirect: 'manual', headers: { cookie, origin: base, 'content-type': 'application/x-www-form-urlencoded' }, body: form(fields) });
    // Without the page's token nothing happens.
    expect((await post({})).status).toBe(403);
    expect((await h.orchestrator.store.runs.getRun(run.id))?.status).toBe('launching');

    const ok = await post({ _csrf: csrf! });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe(`/admin/runs/${run.id}?notice=run-stopped`);
    expect(await h.orchestrator.store.runs.getRun(run.id)).toMatchObject({ status: 'failed', failureReason: 'Stopped via admin' });
    expect(machineOf(run).state).toBe('destroyed');
    expect(comments(identifier)).toContain(`⏹️ AI-Implement run ${run.id} (implement) was stopped by an operator.`);
    expect(await auditOf('run.stop', run.id)).toMatchObject({ actor: expect.stringMatching(/^admin-session:/) });

    // The page now offers retry and delete, and a second stop is refused as a page naming the status.
    const after = await (await fetch(`${base}/admin/runs/${run.id}?notice=run-stopped`, { headers: { cookie } })).text();
    expect(after).toContain('The run was stopped and marked failed');
    expect(after).toContain(`action="/admin/runs/${run.id}/retry"`);
    expect(after).toContain(`action="/admin/runs/${run.id}/delete"`);
    expect(after).not.toContain(`action="/admin/runs/${run.id}/stop"`);
    const refused = await post({ _csrf: csrf! });
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain(`Run ${run.id} is failed; only a queued, claimed, launching, running or retrying run can be stopped.`);
  });
  it('restarts a running Fly run in place: the same machine restarts, the ticket is told, and the runner reports with the same tokens', async () => {
    const { run, identifier } = await dispatched('FLY', 'Restart me');
    const env = machineOf(run).config.env;
    // Only a running run restarts; the runner's first progress makes it one.
    const early = await api.call('POST', `/api/runs/${run.id}/restart`, { token });
    expect(early.status).toBe(409);
    expect(early.body.message).toBe(`Run ${run.id} is launching; only a running run can be restarted.`);
    expect((await runner('/runner/progress', env.AI_IMPLEMENT_PROGRESS_TOKEN!, { runId: run.id, attempt: run.attempt, steps: [] })).status).toBe(200);

    const restarted = await api.call('POST', `/api/runs/${run.id}/restart`, { token });
    expect(restarted.status).toBe(200);
    expect(restarted.body).toMatchObject({ run: { id: run.id, status: 'running', attempt: run.attempt } });
    expect(machineOf(run)).toMatchObject({ state: 'started', restarts: 1 });
    expect(h.fly.server.requestsTo('POST', `/v1/apps/${FLY_APP}/machines/${machineOf(run).id}/restart`)).toHaveLength(1);
    expect(comments(identifier)).toContain(`🔄 AI-Implement run ${run.id} (implement) was restarted by an operator.`);
    expect(await auditOf('run.restart', run.id)).toMatchObject({ before: { status: 'running', upstreamId: machineOf(run).id }, after: { status: 'running', backend: 'fly-machines' } });

    // The restarted machine has the same env: its progress and its one result are accepted.
    expect((await runner('/runner/progress', env.AI_IMPLEMENT_PROGRESS_TOKEN!, { runId: run.id, attempt: run.attempt, steps: [] })).status).toBe(200);
    const result = await runner('/runner/result', env.AI_IMPLEMENT_RESULT_TOKEN!, { runId: run.id, attempt: run.attempt, outcome: 'failed', failureReason: 'gave up after the restart' });
    expect(result.status).toBe(200);
    const finished = await h.orchestrator.store.runs.getRun(run.id);
    expect(finished?.status).toBe('failed');
    expect(finished?.transitions?.map((t) => `${t.from}>${t.to}`)).toEqual(['claimed>launching', 'launching>running', 'running>failed']);
  });

  it('restarts a running Actions run by re-running its workflow run as the next attempt; a finished run gets 409', async () => {
    const { run, identifier } = await dispatched('GHA', 'Re-run me');
    await h.orchestrator.store.runs.updateRun(run.id, { status: 'running' });
    const workflowRun = h.github.state.runs.find((r) => String(r.id) === run.upstreamId)!;
    h.github.state.setRunStatus(workflowRun.id, 'in_progress');

    const restarted = await api.call('POST', `/api/runs/${run.id}/restart`, { token });
    expect(restarted.status).toBe(200);
    expect(h.github.server.requestsTo('POST', `/repos/acme/web/actions/runs/${workflowRun.id}/rerun`)).toHaveLength(1);
    expect(workflowRun).toMatchObject({ runAttempt: 2, status: 'queued', conclusion: null });
    expect(comments(identifier)).toContain(`🔄 AI-Implement run ${run.id} (implement) was restarted by an operator.`);
    expect((await h.orchestrator.store.runs.getRun(run.id))?.status).toBe('running');

    await api.call('POST', `/api/runs/${run.id}/stop`, { token });
    const again = await api.call('POST', `/api/runs/${run.id}/restart`, { token });
    expect(again.status).toBe(409);
    expect(again.body.message).toBe(`Run ${run.id} is failed; only a running run can be restarted.`);
  });
  it('shows each run’s last heartbeat, lease holder and transitions in the API and on the run page, and lists interrupted runs with their retry', async () => {
    const { run } = await dispatched('FLY', 'Watch my heartbeat');
    const env = machineOf(run).config.env;
    expect((await runner('/runner/progress', env.AI_IMPLEMENT_PROGRESS_TOKEN!, { runId: run.id, attempt: run.attempt, steps: [] })).status).toBe(200);
    const answer = await api.call('GET', `/api/jobs/${run.id}/steps`, { token });
    expect(answer.status).toBe(200);
    expect(answer.body.run).toMatchObject({ status: 'running', heartbeatAt: expect.any(String), claimedBy: expect.stringMatching(/\S/) });
    expect((answer.body.run as Run).transitions?.map((t) => `${t.from}>${t.to}`)).toEqual(['claimed>launching', 'launching>running']);

    const base = h.orchestrator.url;
    const login = await fetch(`${base}/admin/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base }, body: new URLSearchParams({ code: SECRETS.adminAccessCode }).toString() });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const page = await (await fetch(`${base}/admin/runs/${run.id}`, { headers: { cookie } })).text();
    expect(page).toContain('Last heartbeat');
    expect(page).toContain('Lease holder');
    expect(page).toContain(String((answer.body.run as Run).claimedBy));
    expect(page).toContain('status launching → running');

    // Crash recovery's outcome, written as it writes it: the run interrupted, and a retry naming it.
    const store = h.orchestrator.store;
    await store.runs.updateRun(run.id, { status: 'interrupted', failureReason: 'Its job ended with the previous orchestrator process', failedStep: 'runner' });
    const retry = await store.runs.claimTicket({ issueId: run.issueId, identifier: run.identifier, tracker: run.tracker, mappingKey: run.mappingKey, phase: run.phase, backend: run.backend, runnerMode: run.runnerMode, triggerSource: 'retry', attempt: run.attempt + 1, retryOf: run.id });
    if (!retry.claimed) throw new Error('the retry was not claimed');
    const jobs = await (await fetch(`${base}/admin/jobs`, { headers: { cookie } })).text();
    expect(jobs).toContain('Interrupted runs');
    expect(jobs).toContain(`href="/admin/runs/${run.id}"`);
    expect(jobs).toContain(`href="/admin/runs/${retry.run.id}">run <code>${retry.run.id}</code></a> (claimed)`);
    await store.runs.updateRun(retry.run.id, { status: 'cancelled' });
  });
  it('answers an old status or trigger name in /api/log with a 400 naming the new one', async () => {
    const status = await api.call('GET', '/api/log?status=dispatching', { token });
    expect(status.status).toBe(400);
    expect(status.body).toMatchObject({ field: 'status' });
    expect(status.body.message).toContain('dispatching was renamed to claimed');
    const trigger = await api.call('GET', '/api/log?trigger=webhook', { token });
    expect(trigger.status).toBe(400);
    expect(trigger.body.message).toContain('webhook was renamed to linear-webhook or jira-webhook');
    expect((await api.call('GET', '/api/log?status=pr_opened,retrying&trigger=retry', { token })).status).toBe(200);
  });
});
