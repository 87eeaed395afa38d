import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GitHubTokenGrant, ResultBody } from '../../src/domain/runner-protocol.js';
import { OrchestratorClient } from '../../src/runner/orchestrator-client.js';
import { runCommand } from '../../src/runner/run-command.js';
import { runJob, type JobChannel } from '../../src/runner/run-job.js';
import { createRunnerLog } from '../../src/runner/runner-log.js';
import { defaultRunnerRoots } from '../../src/runner/runner-roots.js';
import { demoChangePath, demoRuntime } from '../../src/runner/runtimes/demo-runtime.js';
import type { AgentRuntime } from '../../src/runner/runtimes/agent-runtime.js';
import { startHarness, type OrchestratorHarness } from '../support/orchestrator-harness.js';
import { REPO_ROOT } from '../runner/support/run-cli.js';

const MINUTE = 60_000;

/**
 * A two-hour run under a moved clock: the whole orchestrator against the
 * emulators, GitHub's installation tokens expiring on that clock, and the
 * runner in this process with the same clock. The agent "works" for 110
 * minutes between the clone and the push, far past the hour the job's first
 * token lives; the push and the pull request still go through because the
 * runner asked `POST /runner/token` for a fresh token first.
 */
describe('a run that outlives its first GitHub token', () => {
  let h: OrchestratorHarness;
  let root: string;
  let result: ResultBody;
  let identifier: string;
  let runId: string;
  let progressToken: string;
  const grants: Array<GitHubTokenGrant & { askedAt: number }> = [];
  const lines: string[] = [];

  beforeAll(async () => {
    h = await startHarness({}, { githubTokensOnMovedClock: true });
    root = await mkdtemp(join(tmpdir(), 'token-refresh-e2e-'));
    h.github.state.addRepo({ owner: 'acme', name: 'web', defaultBranch: 'main', files: { 'README.md': '# web\n' } });
    h.github.state.addRepo({ owner: 'acme', name: 'billing', defaultBranch: 'main', files: { 'README.md': '# billing\n' } });
    h.linear.store.addTeam({ key: 'LNG' });
    h.linear.store.addLabel({ name: 'AI-Implement', team: null });
    // Fly: the dispatch goes to the Fly emulator, which runs nothing; this test plays the runner itself.
    await h.addMapping({ teamKey: 'LNG', owner: 'acme', repo: 'web', defaultBranch: 'main', executionMode: 'fly-machines', agentRuntime: 'demo', maxJobMinutes: 150 });
    const issue = h.linear.store.addIssue({ team: 'LNG', title: 'A long piece of work', labels: ['AI-Implement'] });
    identifier = issue.identifier;
    await h.cycle();
    const [run] = await h.runsOf(identifier);
    expect(run).toMatchObject({ status: 'launching', backend: 'fly-machines' });
    runId = run!.id;
    const tokens = h.orchestrator.services.tokens!.mint(run!.id, run!.attempt, run!.deadlineAt!);
    progressToken = tokens.progressToken;

    const log = createRunnerLog((line) => lines.push(line));
    const client = new OrchestratorClient({ baseUrl: h.orchestrator.url, progressToken: tokens.progressToken, resultToken: tokens.resultToken, log });
    // The real client, with every grant it brings back noted for the checks below.
    const channel: JobChannel = {
      getJob: () => client.getJob(),
      postProgress: (body) => client.postProgress(body),
      postResult: (body) => client.postResult(body),
      refreshGitHubToken: async (request) => {
        const grant = await client.refreshGitHubToken(request);
        grants.push({ ...grant, askedAt: h.clock() });
        return grant;
      },
    };
    // The agent takes 110 minutes over its edit; the review pass is quick.
    const slowAgent: AgentRuntime = {
      ...demoRuntime,
      async run(invocation) {
        if (invocation.mode === 'edit') h.advance(110 * MINUTE);
        return demoRuntime.run(invocation);
      },
    };
    const customDir = join(root, 'custom');
    await mkdir(customDir);
    await mkdir(join(root, 'work'));
    result = await runJob({
      channel,
      roots: { ...defaultRunnerRoots(REPO_ROOT, customDir), compiledCustomDir: join(customDir, 'none') },
      workdir: join(root, 'work'),
      log,
      baseEnv: { PATH: process.env.PATH ?? '', HOME: root, GIT_CONFIG_NOSYSTEM: '1' },
      runtimes: new Map([['demo', slowAgent]]),
      now: () => new Date(h.clock()),
    });
  }, 120_000);

  afterAll(async () => {
    await h?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('pushes at minute 110 and opens the pull request', async () => {
    expect(result.outcome, JSON.stringify(result)).toBe('succeeded');
    const branch = result.branch!;
    expect(h.github.state.readFile('acme', 'web', demoChangePath(identifier), branch)).toContain('A long piece of work');
    expect(h.github.state.pulls.filter((p) => p.headRef === branch)).toHaveLength(1);
    expect(result.prUrl).toMatch(/\/acme\/web\/pull\/\d+$/);
    const run = await h.orchestrator.store.runs.getRun(runId);
    expect(run?.status).toBe('pr_opened');
  });

  it('asked for one fresh token once its first one was spent, and got one good for another hour', () => {
    expect(grants).toHaveLength(1);
    const [grant] = grants;
    expect(grant!.askedAt - h.clock()).toBeLessThan(MINUTE);
    expect(Date.parse(grant!.expiresAt)).toBeGreaterThan(grant!.askedAt + 55 * MINUTE);
    expect(lines.some((l) => l.includes('GitHub token refreshed'))).toBe(true);
    // Neither token reached the job log.
    const first = [...h.github.state.tokens.values()].find((t) => t.token !== grant!.token && t.permissions.pull_requests === 'write' && !t.permissions.issues);
    expect(first).toBeDefined();
    for (const token of [first!.token, grant!.token]) expect(lines.join('\n')).not.toContain(token);
  });

  it('hands out a token for the run’s repository only: it cannot read or push another one', async () => {
    const { token } = grants[0]!;
    const other = await fetch(`${h.github.url}/repos/acme/billing`, { headers: { authorization: `token ${token}` } });
    expect(other.status).toBe(404);
    const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
    const env = { PATH: process.env.PATH ?? '', HOME: root, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraheader', GIT_CONFIG_VALUE_0: `AUTHORIZATION: basic ${basic}` };
    const clone = await runCommand('git', ['clone', '--quiet', `${h.github.url}/acme/billing.git`, join(root, 'billing')], { cwd: root, env, timeoutMs: 30_000 });
    expect(clone.exitCode).not.toBe(0);
    const push = await runCommand('git', ['push', `${h.github.url}/acme/billing.git`, `HEAD:refs/heads/sneaky`], { cwd: join(root, 'work', 'repo'), env, timeoutMs: 30_000 });
    expect(push.exitCode).not.toBe(0);
    expect(h.github.state.readFile('acme', 'billing', demoChangePath(identifier), 'sneaky')).toBeUndefined();
  });

  it('refuses a fresh token once the run has finished (409)', async () => {
    const res = await fetch(`${h.orchestrator.url}/runner/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${progressToken}` },
      body: JSON.stringify({ runId, attempt: 1, kind: 'github' }),
    });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: 'run_finished' });
  });
});
