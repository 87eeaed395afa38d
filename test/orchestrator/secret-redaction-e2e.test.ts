import { statusCommentKey } from '../../src/orchestrator/status-comment.js';
import { linearCommentId } from '../../src/trackers/linear/linear-comment-id.js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src/domain/run.js';
import { waitFor } from '../github/support/github-scenario.js';
import { SECRETS, startHarness, type OrchestratorHarness } from '../support/orchestrator-harness.js';

/** No shape to recognise it by: only the registry, told when it was set, can scrub it. */
const TEAM_SECRET = 'fly-team-secret-Q7x9Lm2Vp4';
const MAPPING_ENV_SECRET = 'mapping-env-value-8Kd3Wq';

/** Every file under a directory, read whole (the history streams are small here). */
function readTree(dir: string): string {
  let text = '';
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) text += readFileSync(join(entry.parentPath, entry.name), 'utf8');
  }
  return text;
}

function hotLedger(dataDir: string): string {
  const doc = JSON.parse(readFileSync(join(dataDir, 'store.json'), 'utf8')) as { runs: unknown; steps: unknown; settings: unknown };
  return JSON.stringify([doc.runs, doc.steps, doc.settings]);
}

/**
 * The red-team finding, replayed through the real composition root: a runner
 * reports a summary and a failure reason quoting the installation token it was
 * handed and a team secret an operator set through the API. Neither may come
 * back out anywhere: ticket comment, `/api`, the panels, the live stream, the
 * history files or the log.
 */
describe('a runner that echoes its own token and a team secret leaks neither (whole orchestrator)', () => {
  let h: OrchestratorHarness;
  let bearer: string;

  beforeAll(async () => {
    h = await startHarness({ LOG_LEVEL: 'debug' });
    h.github.state.addRepo({ owner: 'acme', name: 'vault-app', defaultBranch: 'main', files: { 'README.md': '# app\n' } });
    h.github.state.addWorkflow('acme', 'vault-app', {
      file: 'claude-implement.yml',
      name: 'AI-Implement',
      runName: 'AI-Implement ${{ inputs.run_id }}',
      inputs: { run_id: { required: true }, orchestrator_url: { required: true } },
    });
    h.linear.store.addTeam({ key: 'SEC' });
    h.linear.store.addLabel({ name: 'AI-Implement', team: null });
    await h.addMapping({ teamKey: 'SEC', owner: 'acme', repo: 'vault-app', defaultBranch: 'main', executionMode: 'github-actions', extraEnv: { NPM_TOKEN: MAPPING_ENV_SECRET } });
    const auth = await fetch(`${h.orchestrator.url}/api/auth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: SECRETS.adminAccessCode }) });
    bearer = ((await auth.json()) as { token: string }).token;
  }, 60_000);

  afterAll(async () => {
    await h?.stop();
  });

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${h.orchestrator.url}${path}`, { ...init, headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}`, ...init.headers } });
  const panel = async (path: string) => (await fetch(`${h.orchestrator.url}${path}`, { headers: { cookie: `ai_implement_admin=${encodeURIComponent(bearer)}` } })).text();
  const runner = (path: string, token: string, body?: unknown) =>
    fetch(`${h.orchestrator.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  it('scrubs them from the ticket comment, /api/log, the run page, the live stream, the history files and the log', async () => {
    expect((await api('/api/mappings/SEC/secrets', { method: 'POST', body: JSON.stringify({ name: 'DEPLOY_KEY', value: TEAM_SECRET }) })).status).toBe(201);

    const issue = h.linear.store.addIssue({ team: 'SEC', title: 'Rotate the deploy key', labels: ['AI-Implement'] });
    await h.cycle();
    const [dispatched] = await h.runsOf(issue.identifier);
    const run = dispatched as Run;
    const tokens = h.orchestrator.services.tokens!.mint(run.id, run.attempt, run.deadlineAt!);

    // What the runner is handed: the run's own installation token, minted by the GitHub emulator.
    const job = (await (await runner('/runner/job', tokens.progressToken)).json()) as { github: { token: string }; env: Record<string, string> };
    const installationToken = job.github.token;
    expect(installationToken).toMatch(/^ghs_/);
    expect(job.env.NPM_TOKEN).toBe(MAPPING_ENV_SECRET);
    const leaks = [installationToken, TEAM_SECRET, MAPPING_ENV_SECRET];
    const quoted = `token ${installationToken}, DEPLOY_KEY ${TEAM_SECRET}, NPM_TOKEN ${MAPPING_ENV_SECRET}`;

    const progress = await runner('/runner/progress', tokens.progressToken, {
      runId: run.id,
      attempt: run.attempt,
      steps: [{ id: 'push', type: 'git.push', status: 'failed', title: `push with ${quoted}`, output: { remote: quoted }, logExcerpt: `remote: ${quoted}\n` }],
    });
    expect(progress.status).toBe(200);
    const result = await runner('/runner/result', tokens.resultToken, {
      runId: run.id,
      attempt: run.attempt,
      outcome: 'failed',
      failedStep: 'push',
      summary: `Tried to push with ${quoted}`,
      failureReason: `git push failed: ${quoted}`,
    });
    expect(result.status).toBe(200);
    await h.waitForTerminal(run.id);

    // Linear drops hidden markers (the emulator too): the run's status comment is found by its derived id.
    const comment = await waitFor(() => h.linear.commentsOn(issue.identifier).find((c) => c.id === linearCommentId(run.issueId, statusCommentKey(run.id)) && c.body.includes('git push failed')), 5_000, 'the final status comment');
    const surfaces: Record<string, string> = {
      'ticket comments': h.linear.commentsOn(issue.identifier).map((c) => c.body).join('\n'),
      '/api/log': await (await api('/api/log')).text(),
      '/api/jobs/:id/steps': await (await api(`/api/jobs/${run.id}/steps`)).text(),
      'run page': await panel(`/admin/runs/${run.id}`),
      'jobs panel': await panel('/admin/jobs'),
      'live stream': await panel(`/admin/runs/${run.id}/events`),
      'history files': readTree(join(h.orchestrator.config.dataDir, 'history')),
      // The hot document keeps the mapping as configured (its env value included); its runs, steps and pending writes must not echo it.
      'store.json': hotLedger(h.orchestrator.config.dataDir),
      log: h.logLines.join('\n'),
    };
    const names = new Map([[installationToken, 'installation token'], [TEAM_SECRET, 'team secret'], [MAPPING_ENV_SECRET, 'mapping env secret']]);
    const found = Object.entries(surfaces).flatMap(([where, text]) => leaks.filter((secret) => text.includes(secret)).map((secret) => `${names.get(secret)} in ${where}`));
    expect(found).toEqual([]);
    // The surfaces really carry the run's text, so a missing secret means it was scrubbed, not never there.
    expect(comment.body).toContain('[REDACTED]');
    expect(surfaces['/api/log']).toContain('git push failed');
    expect(surfaces['run page']).toContain('git push failed');
    expect(surfaces['history files']).toContain('git push failed');
    expect(surfaces['live stream']).toContain('event: progress');
  });

  it('scrubs a secret learned after the run stored it from every answer, page and stream event', async () => {
    const late = 'late-global-secret-Vx82Lq';
    const issue = h.linear.store.addIssue({ team: 'SEC', title: 'Use the new key', labels: ['AI-Implement'] });
    await h.cycle();
    const run = (await h.runsOf(issue.identifier))[0] as Run;
    const tokens = h.orchestrator.services.tokens!.mint(run.id, run.attempt, run.deadlineAt!);
    await runner('/runner/progress', tokens.progressToken, { runId: run.id, attempt: run.attempt, steps: [{ id: 'test', type: 'command', status: 'failed', title: `uses ${late}`, logExcerpt: `key ${late}\n` }] });
    expect((await runner('/runner/result', tokens.resultToken, { runId: run.id, attempt: run.attempt, outcome: 'failed', failedStep: 'test', failureReason: `tests failed with ${late}` })).status).toBe(200);
    await h.waitForTerminal(run.id);
    // The ledger predates the secret: only the output doors can keep it in.
    expect((await h.orchestrator.store.runs.getRun(run.id))?.failureReason).toContain(late);

    expect((await api('/api/global-secrets', { method: 'POST', body: JSON.stringify({ name: 'LATE_KEY', value: late }) })).status).toBe(201);
    const surfaces: Record<string, string> = {
      '/api/log': await (await api('/api/log')).text(),
      '/api/jobs/:id/steps': await (await api(`/api/jobs/${run.id}/steps`)).text(),
      'run page': await panel(`/admin/runs/${run.id}`),
      'jobs panel': await panel('/admin/jobs'),
      'live stream': await panel(`/admin/runs/${run.id}/events`),
    };
    expect(Object.entries(surfaces).filter(([, text]) => text.includes(late)).map(([where]) => where)).toEqual([]);
    expect(surfaces['/api/log']).toContain('tests failed with [REDACTED]');
  });
});
