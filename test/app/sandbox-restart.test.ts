import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { startOrchestrator, type RunningOrchestrator } from '../../src/app.js';

/** Starts the sandbox on `dataDir`, keeping its JSON log lines. */
async function startSandbox(dataDir: string): Promise<{ orchestrator: RunningOrchestrator; lines: string[] }> {
  const lines: string[] = [];
  const orchestrator = await startOrchestrator({
    env: { DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info' },
    print: () => undefined,
    logDestination: new Writable({
      write: (chunk: Buffer, _e, done) => {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    }),
  });
  return { orchestrator, lines };
}

const messages = (lines: string[]) => lines.map((l) => (JSON.parse(l) as { msg: string }).msg);

describe('restarting the sandbox on the same data directory', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ai-implement-restart-'));
  let running: RunningOrchestrator | undefined;

  afterAll(async () => {
    await running?.stop();
    rmSync(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
  });

  it('runs the four demo tickets once: the second start dispatches nothing', async () => {
    const first = await startSandbox(dataDir);
    running = first.orchestrator;
    const { github, linear } = first.orchestrator.sandbox!.emulators;
    await expect.poll(() => github.state.pulls.length, { timeout: 60_000, interval: 100 }).toBe(4);
    // Every run finished and its ticket writes were made before the process stops.
    await expect
      .poll(async () => (await first.orchestrator.store.runs.listRuns({ limit: 50 })).items.map((r) => r.status).join(','), { timeout: 20_000, interval: 100 })
      .toBe('pr_opened,pr_opened,pr_opened,pr_opened');
    for (const issue of linear.workspace.issues) await expect.poll(() => linear.stateOf(issue.id).name, { timeout: 10_000 }).toBe('In Review');
    expect(messages(first.lines).filter((m) => m === 'local runner started')).toHaveLength(4);
    await first.orchestrator.stop();
    running = undefined;

    const second = await startSandbox(dataDir);
    running = second.orchestrator;
    const emulators = second.orchestrator.sandbox!.emulators;
    // Two full cycles (the one at start and one more) see the demo tickets and leave them alone.
    await second.orchestrator.services.runLoop.runNow();
    await second.orchestrator.services.runLoop.runNow();
    await new Promise((r) => setTimeout(r, 1_000));

    const runs = (await second.orchestrator.store.runs.listRuns({ limit: 50 })).items;
    expect(runs).toHaveLength(4);
    expect(runs.every((r) => r.status === 'pr_opened')).toBe(true);
    expect(messages(second.lines)).not.toContain('local runner started');
    expect(emulators.github.state.runs).toHaveLength(0);
    expect(emulators.github.state.pulls).toHaveLength(0);
    expect(emulators.fly.state.machines.size).toBe(0);
    // The tracker shows the tickets where the first start left them, so an operator sees the same picture.
    for (const issue of emulators.linear.workspace.issues) expect(emulators.linear.stateOf(issue.id).name).toBe('In Review');
    expect(emulators.jira.customValue('OPS-1', 'AI-Implement Status')).toBe('PR Ready');
    // The store's runs name the tickets the emulators hold now, so later writes (a merged PR, a comment) reach them.
    for (const run of runs) expect(run.tracker === 'linear' ? emulators.linear.store.findIssue(run.issueId)?.identifier : emulators.jira.issue(run.issueId).key).toBe(run.identifier);
  }, 120_000);
});
