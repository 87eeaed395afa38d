import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOrchestrator, type RunningOrchestrator } from '../../src/app.js';
import { PR_METADATA_PATTERN } from '../../src/domain/runner-protocol.js';

describe('sandbox mode runs the demo loop with no manual step', () => {
  let orchestrator: RunningOrchestrator;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'ai-implement-demo-'));
    orchestrator = await startOrchestrator({
      env: { DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn' },
      print: () => undefined,
      logDestination: new Writable({ write: (_c, _e, done) => done() }),
    });
  });

  afterAll(async () => {
    await orchestrator.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('turns every demo ticket into a pull request and moves the tickets to review within a minute', async () => {
    const { github, linear, jira } = orchestrator.sandbox!.emulators;
    const started = Date.now();
    while (github.state.pulls.length < 4) {
      expect(Date.now() - started, 'four PRs within 60 s').toBeLessThan(60_000);
      await new Promise((r) => setTimeout(r, 100));
    }
    const runs = (await orchestrator.store.runs.listRuns({ limit: 50 })).items;
    expect(runs).toHaveLength(4);
    for (const run of runs) {
      const finished = run.status === 'pr_opened' ? run : await waitForSuccess(orchestrator, run.id);
      expect(finished).toMatchObject({ status: 'pr_opened', backend: 'local' });
      expect(finished.prUrl).toMatch(/\/demo-org\/demo-app\/pull\/\d+$/);
      // Progress was reported for every step of the pipeline.
      const steps = await orchestrator.store.runs.listSteps(run.id);
      expect(steps.map((s) => s.id)).toEqual(expect.arrayContaining(['clone', 'implement', 'verify', 'push', 'open-pr']));
      expect(steps.every((s) => s.status === 'passed' || s.status === 'skipped')).toBe(true);
    }
    for (const pr of github.state.pulls) {
      const meta = PR_METADATA_PATTERN.exec(pr.body ?? '');
      expect(meta, 'PR body carries the hidden metadata marker').not.toBeNull();
      const parsed = JSON.parse(meta![1]!) as { identifier: string; mappingKey: string };
      expect(pr.body).toContain(`Fixes ${parsed.identifier}`);
      expect(['DEMO', 'OPS']).toContain(parsed.mappingKey);
      expect(pr.headRef).toMatch(new RegExp(`^ai-implement/${parsed.identifier.toLowerCase()}-`));
    }
    // A run is recorded as succeeded before its ticket writes are made: wait for those.
    for (const issue of linear.workspace.issues.filter((i) => i.identifier.startsWith('DEMO-'))) {
      await expect.poll(() => linear.stateOf(issue.id).name, { timeout: 10_000 }).toBe('In Review');
      await expect.poll(() => linear.labelNames(issue.id), { timeout: 10_000 }).toEqual(expect.arrayContaining(['AI-Implement', 'AI-PR-Ready']));
      await expect.poll(() => linear.labelNames(issue.id), { timeout: 10_000 }).not.toContain('AI-Working');
    }
    await expect.poll(() => jira.customValue('OPS-1', 'AI-Implement Status'), { timeout: 10_000 }).toBe('PR Ready');
    // The demo agent's change really is on the pushed branch of the local repository.
    const bare = join(dataDir, 'sandbox-git', 'demo-org', 'demo-app.git');
    const branches = execFileSync('git', ['--git-dir', bare, 'branch', '--list', 'ai-implement/*'], { encoding: 'utf8' });
    expect(branches.trim().split('\n')).toHaveLength(4);
    // The operator sees them through the API.
    const auth = await fetch(`${orchestrator.url}/api/auth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: orchestrator.config.adminAccessCode }) });
    const { token } = (await auth.json()) as { token: string };
    const pulls = (await (await fetch(`${orchestrator.url}/api/pulls`, { headers: { authorization: `Bearer ${token}` } })).json()) as { pulls: { identifier: string; status: string; prUrl: string }[] };
    expect(pulls.pulls.map((p) => p.identifier).sort()).toEqual(['DEMO-1', 'DEMO-2', 'DEMO-3', 'OPS-1']);
    expect(pulls.pulls.every((p) => p.status === 'completed' && /\/pull\/\d+$/.test(p.prUrl))).toBe(true);
    // Prometheus sees the outcome too.
    const metrics = await (await fetch(`${orchestrator.url}/metrics`)).text();
    expect(metrics).toMatch(/ai_implement_runs_last_24h\{kind="created"\} 4/);
    expect(metrics).toMatch(/ai_implement_blocked_tickets\{reason="concurrency"\} 0/);
    // Nothing is dispatched twice on later cycles.
    await orchestrator.services.runLoop.runNow();
    expect((await orchestrator.store.runs.listRuns({ limit: 50 })).items).toHaveLength(4);
  }, 90_000);
});

async function waitForSuccess(orchestrator: RunningOrchestrator, runId: string) {
  for (let i = 0; i < 300; i++) {
    const run = await orchestrator.store.runs.getRun(runId);
    if (run && run.status !== 'launching' && run.status !== 'running' && run.status !== 'claimed') return run;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`run ${runId} did not finish`);
}
