import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBareRepo } from './support/git-fixtures.js';
import { makeJobSpec } from './support/job-spec.js';
import { OrchestratorServer } from './support/orchestrator-server.js';
import { cleanEnv, runCli } from './support/run-cli.js';

/** A value with no credential shape: only the runner's registry, told by the broker's answer, can scrub it. */
const BROKER_SECRET = 'broker-handed-value-5Tq8Zr';

describe('runner CLI in GitHub Actions mode', () => {
  let root: string;
  let orchestrator: OrchestratorServer;
  let outcome: { code: number | null; stderr: string };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'runner-gha-'));
    const bare = await createBareRepo(root, { 'README.md': '# widgets\n' });
    const job = makeJobSpec({ runId: 'run_gha', phase: 'plan', pipeline: 'plan', repo: { cloneUrl: bare } });
    orchestrator = new OrchestratorServer({
      job,
      progressToken: 'exchanged-progress-token',
      resultToken: 'exchanged-result-token',
      oidc: { requestToken: 'actions-request-token', idToken: 'github-oidc-id-token' },
      secrets: { PLAN_API_KEY: BROKER_SECRET },
    });
    await orchestrator.start();
    await mkdir(join(root, 'custom'));
    outcome = await runCli(
      cleanEnv({
        GITHUB_ACTIONS: 'true',
        // GitHub's URL already carries a query string; the audience is appended to it.
        ACTIONS_ID_TOKEN_REQUEST_URL: `${orchestrator.url}/_oidc/token?api-version=2.0`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'actions-request-token',
        AI_IMPLEMENT_RUN_ID: 'run_gha',
        AI_IMPLEMENT_URL: orchestrator.url,
        AI_IMPLEMENT_WORKDIR: join(root, 'work'),
        AI_IMPLEMENT_CUSTOM_DIR: join(root, 'custom'),
      }),
    );
  }, 120_000);

  afterAll(async () => {
    await orchestrator?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('asks for an id token with the orchestrator audience, exchanges it, then fetches the job', () => {
    expect(outcome.code, outcome.stderr).toBe(0);
    const [oidc, exchange, job] = orchestrator.requests;
    expect(oidc!.method).toBe('GET');
    const oidcUrl = new URL(oidc!.path, 'http://x');
    expect(oidcUrl.pathname).toBe('/_oidc/token');
    expect(oidcUrl.searchParams.get('api-version')).toBe('2.0');
    expect(oidcUrl.searchParams.get('audience')).toBe(orchestrator.url);
    expect(oidc!.authorization).toBe('Bearer actions-request-token');
    expect(exchange).toMatchObject({ method: 'POST', path: '/runner/token', authorization: 'Bearer github-oidc-id-token', body: { runId: 'run_gha' } });
    expect(job).toMatchObject({ method: 'GET', path: '/runner/job', authorization: 'Bearer exchanged-progress-token' });
  });

  it('fetches its secrets from the broker with the exchanged token, and never prints or posts them', () => {
    const fetched = orchestrator.requests.filter((r) => r.path === '/runner/secrets');
    expect(fetched).toEqual([expect.objectContaining({ method: 'GET', authorization: 'Bearer exchanged-progress-token' })]);
    expect(outcome.stderr).toContain('secrets received');
    expect(outcome.stderr).toContain('PLAN_API_KEY');
    expect(JSON.stringify([outcome.stderr, orchestrator.progress, orchestrator.results])).not.toContain(BROKER_SECRET);
  });

  it('uses the exchanged tokens for progress and the result, and posts the plan', () => {
    const result = orchestrator.requests.filter((r) => r.path === '/runner/result');
    expect(result.map((r) => r.authorization)).toEqual(['Bearer exchanged-result-token']);
    expect(orchestrator.requests.filter((r) => r.path === '/runner/progress').every((r) => r.authorization === 'Bearer exchanged-progress-token')).toBe(true);
    expect(orchestrator.results[0]).toMatchObject({ runId: 'run_gha', outcome: 'succeeded' });
    expect(orchestrator.results[0]!.plan).toContain('Plan for ENG-42: Add a widget counter');
    expect(orchestrator.results[0]!.prUrl).toBeUndefined();
  });
});

describe('runner CLI configuration errors', () => {
  it('exits 2 naming the missing token variables outside GitHub Actions', async () => {
    const { code, stderr } = await runCli(cleanEnv({ AI_IMPLEMENT_URL: 'http://127.0.0.1:9', AI_IMPLEMENT_RUN_ID: 'r' }));
    expect(code).toBe(2);
    expect(stderr).toContain('AI_IMPLEMENT_PROGRESS_TOKEN');
  });

  it('prints usage with --help', async () => {
    const { code, stdout } = await runCli(cleanEnv({}), ['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: ai-implement-runner');
  });
});
