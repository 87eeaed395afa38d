import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PR_METADATA_PATTERN, type JobSpec } from '../../src/domain/runner-protocol.js';
import { GitHubEmulator } from '../../src/sandbox/github/index.js';
import { createBareRepo, GIT_TEST_ENV } from './support/git-fixtures.js';
import { makeJobSpec } from './support/job-spec.js';
import { OrchestratorServer } from './support/orchestrator-server.js';
import { cleanEnv, runCli } from './support/run-cli.js';
import type { TrafficAudit } from '../support/vendor-fidelity/traffic-audit.js';
import { auditGitHub, expectTrueToVendor } from '../support/vendor-fidelity/vendor-audits.js';

const PROGRESS_TOKEN = 'progress-token-e2e-123456';
const RESULT_TOKEN = 'result-token-e2e-123456';

describe('runner CLI end to end (demo runtime, bare git remote, GitHub emulator)', () => {
  let root: string;
  let bare: string;
  let github: GitHubEmulator;
  let orchestrator: OrchestratorServer;
  let job: JobSpec;
  let audit: TrafficAudit | undefined;
  let outcome: { code: number | null; stdout: string; stderr: string };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'runner-e2e-'));
    const packageJson = JSON.stringify({ name: 'widgets', private: true, scripts: { test: 'node -e "process.exit(0)"' } }, null, 2);
    bare = await createBareRepo(root, { 'package.json': packageJson, 'README.md': '# widgets\n' });
    github = new GitHubEmulator();
    audit = auditGitHub(github.server);
    await github.start();
    const repo = github.state.addRepo({ owner: 'acme', name: 'widgets', files: { 'package.json': packageJson } });
    job = makeJobSpec({
      repo: { cloneUrl: bare },
      github: { apiUrl: github.url, token: github.issueToken(repo.installationId).token },
    });
    // The emulator has no git transport: mirror the branch the runner will push, so the PR API sees a head with commits.
    github.state.setFile('acme', 'widgets', job.repo.branch, 'ai-implement/ENG-42.md', '# ENG-42\n');
    orchestrator = new OrchestratorServer({ job, progressToken: PROGRESS_TOKEN, resultToken: RESULT_TOKEN });
    await orchestrator.start();
    const customDir = join(root, 'custom-empty');
    await mkdir(customDir);
    outcome = await runCli(
      cleanEnv({
        AI_IMPLEMENT_URL: orchestrator.url,
        AI_IMPLEMENT_RUN_ID: job.runId,
        AI_IMPLEMENT_PROGRESS_TOKEN: PROGRESS_TOKEN,
        AI_IMPLEMENT_RESULT_TOKEN: RESULT_TOKEN,
        AI_IMPLEMENT_WORKDIR: join(root, 'work'),
        AI_IMPLEMENT_CUSTOM_DIR: customDir,
      }),
    );
  }, 120_000);

  afterAll(async () => {
    await orchestrator?.stop();
    await github?.stop();
    await rm(root, { recursive: true, force: true });
    if (audit) expectTrueToVendor(audit, 'GitHub');
  });

  it('exits 0 and posts exactly one succeeded result with the PR', () => {
    expect(outcome.code, outcome.stderr).toBe(0);
    expect(orchestrator.invalidBodies).toEqual([]);
    expect(orchestrator.results).toHaveLength(1);
    const [result] = orchestrator.results;
    expect(result).toMatchObject({ runId: 'run_01', attempt: 1, outcome: 'succeeded', prNumber: 1, branch: job.repo.branch });
    expect(result!.prUrl).toMatch(/\/acme\/widgets\/pull\/1$/);
  });

  it('pushed a commit with the demo change to the bare repository', () => {
    const remote = execFileSync('git', ['ls-remote', '--heads', bare], { encoding: 'utf8', env: GIT_TEST_ENV });
    expect(remote).toContain(`refs/heads/${job.repo.branch}`);
    const file = execFileSync('git', ['--git-dir', bare, 'show', `${job.repo.branch}:ai-implement/ENG-42.md`], { encoding: 'utf8' });
    expect(file).toContain('# ENG-42: Add a widget counter');
    expect(file).toContain('Count the widgets and show the total.');
    const log = execFileSync('git', ['--git-dir', bare, 'log', '--format=%an %s', `main..${job.repo.branch}`], { encoding: 'utf8' });
    expect(log.trim()).toBe('AI-Implement ENG-42: Add a widget counter');
  });

  it('opened the PR in the emulator with Fixes and the metadata marker, and posted the review', () => {
    const pull = github.state.pull('acme', 'widgets', 1);
    expect(pull).toMatchObject({ title: 'ENG-42: Add a widget counter', headRef: job.repo.branch, baseRef: 'main' });
    expect(pull!.body).toContain('Fixes ENG-42');
    const marker = PR_METADATA_PATTERN.exec(pull!.body ?? '');
    expect(JSON.parse(marker![1]!)).toEqual({ runId: 'run_01', issueId: 'issue-uuid-1', identifier: 'ENG-42', mappingKey: 'linear:ENG->acme/widgets' });
    const review = github.state.issueComments.filter((c) => c.issueNumber === 1);
    expect(review).toHaveLength(1);
    expect(review[0]!.body).toContain('Gap analysis for ENG-42');
  });

  it('reported planned steps first, then every step with timings', () => {
    const first = orchestrator.progress[0]!;
    expect(first.plannedSteps?.map((s) => s.id)).toEqual(['clone', 'install', 'implement', 'verify', 'feedback-loop', 'push', 'open-pr', 'review', 'report']);
    expect(orchestrator.finalStatuses()).toEqual({
      clone: 'passed',
      install: 'skipped',
      implement: 'passed',
      verify: 'passed',
      'feedback-loop': 'skipped',
      push: 'passed',
      'open-pr': 'passed',
      review: 'passed',
      report: 'passed',
    });
    const running = orchestrator.progress.flatMap((b) => b.steps).filter((s) => s.status === 'running').map((s) => s.id);
    // feedback-loop never starts (its if: is false); install starts and then finds nothing to install.
    expect(running).toEqual(['clone', 'install', 'implement', 'verify', 'push', 'open-pr', 'review', 'report']);
    const verify = orchestrator.progress.flatMap((b) => b.steps).find((s) => s.id === 'verify' && s.status === 'passed')!;
    expect(Date.parse(verify.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(verify.startedAt!));
    expect(verify.logExcerpt).toContain('npm run test');
  });

  it('reported diff stats against the base and the review’s gap analysis, for the run report', () => {
    const finished = orchestrator.progress.flatMap((b) => b.steps).filter((s) => s.status === 'passed');
    const report = finished.find((s) => s.id === 'report')!.output as { diffStats?: unknown; commits?: number };
    // The demo agent writes one new file, ai-implement/ENG-42.md, and commits it.
    expect(report.diffStats).toMatchObject({ base: 'origin/main', filesChanged: 1, deletions: 0 });
    expect((report.diffStats as { insertions: number }).insertions).toBeGreaterThan(0);
    expect(report.commits).toBe(1);
    const review = finished.find((s) => s.id === 'review')!.output as { gapAnalysis?: string; url?: string };
    expect(review.gapAnalysis).toContain('Gap analysis for ENG-42');
    expect(review.url).toMatch(/#issuecomment-\d+$/);
  });

  it('never prints a token', () => {
    const everything = outcome.stdout + outcome.stderr + JSON.stringify(orchestrator.progress);
    for (const secret of [job.github.token, PROGRESS_TOKEN, RESULT_TOKEN, Buffer.from(`x-access-token:${job.github.token}`).toString('base64')]) {
      expect(everything).not.toContain(secret);
    }
  });
});
