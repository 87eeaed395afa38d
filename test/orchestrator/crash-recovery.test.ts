import { existsSync, readdirSync } from 'node:fs';
import { chmod, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../github/support/github-scenario.js';
import { startHarness, type OrchestratorHarness } from '../support/orchestrator-harness.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('a run in flight when the orchestrator stops is recovered by the next one', () => {
  let h: OrchestratorHarness;
  let bin: string;
  const path = process.env.PATH;

  beforeAll(async () => {
    // A stand-in `claude` (no model here): slow while the flag file exists, quick once it is gone.
    bin = await mkdtemp(join(tmpdir(), 'recovery-bin-'));
    await writeFile(
      join(bin, 'claude'),
      [
        '#!/bin/sh',
        'touch "$SLOW_FLAG.started"',
        'if [ -f "$SLOW_FLAG" ]; then sleep 120; fi',
        'echo "recovered change" > RECOVERED.md',
        `printf '{"type":"result","result":"done","usage":{"input_tokens":10,"output_tokens":5}}'`,
        '',
      ].join('\n'),
    );
    await chmod(join(bin, 'claude'), 0o755);
    // The local backend hands its children the server's PATH.
    process.env.PATH = `${bin}:${path ?? ''}`;
    h = await startHarness();
    h.github.state.addRepo({ owner: 'acme', name: 'rec', defaultBranch: 'main', files: { 'README.md': '# rec\n' } });
    h.linear.store.addTeam({ key: 'REC' });
    h.linear.store.addLabel({ name: 'AI-Implement', team: null });
  });
  afterAll(async () => {
    process.env.PATH = path;
    await h?.stop();
    await rm(bin, { recursive: true, force: true });
  });

  it('stops the orphaned runner, marks the run interrupted, retries it as a new run, finishes that and removes its workspaces', async () => {
    const flag = join(bin, 'slow');
    await writeFile(flag, '');
    await h.addMapping({ teamKey: 'REC', owner: 'acme', repo: 'rec', defaultBranch: 'main', executionMode: 'local', agentRuntime: 'claude-code', extraEnv: { ANTHROPIC_API_KEY: 'sk-ant-test', SLOW_FLAG: flag } });
    const issue = h.linear.store.addIssue({ team: 'REC', title: 'Survive a restart', labels: ['AI-Implement'] });
    await h.cycle();
    const [first] = await h.runsOf(issue.identifier);
    expect(first).toMatchObject({ backend: 'local', attempt: 1 });
    // The agent is working: the run is live and its workspace is on disk.
    await waitFor(() => (existsSync(`${flag}.started`) ? true : undefined), 20_000, 'the agent to start');
    const live = (await h.orchestrator.store.runs.getRun(first!.id))!;
    const pid = Number(/^local-(\d+)-/.exec(live.upstreamId ?? '')?.[1]);
    const workspaces = join(h.orchestrator.config.dataDir, 'workspaces');
    expect(readdirSync(workspaces)).toContain(`${first!.id}-a1`);
    expect(alive(pid)).toBe(true);

    await unlink(flag);
    await h.restart();

    await waitFor(() => (alive(pid) ? undefined : true), 5_000, 'the orphaned runner to be stopped');
    const interrupted = await h.waitForTerminal(first!.id, 60_000);
    expect(interrupted).toMatchObject({ status: 'interrupted', attempt: 1, failedStep: 'runner' });
    expect(interrupted.transitions?.at(-1)).toMatchObject({ from: 'running', to: 'interrupted' });
    // Recovery's retry is a new run of the same ticket, one attempt further, naming the run it retries.
    const retry = await waitFor(async () => (await h.runsOf(issue.identifier)).find((r) => r.retryOf === first!.id), 10_000, 'the retry to be claimed');
    expect(retry).toMatchObject({ triggerSource: 'retry', attempt: 2 });
    const finished = await h.waitForTerminal(retry.id, 60_000);
    expect(finished).toMatchObject({ status: 'pr_opened', attempt: 2, prNumber: expect.any(Number) });
    expect(h.github.state.readFile('acme', 'rec', 'RECOVERED.md', finished.branch)).toBe('recovered change\n');
    const audit = await h.orchestrator.store.audit.list({ limit: 50 });
    expect(audit.items.some((e) => e.action === 'run.interrupted' && e.target === first!.id)).toBe(true);
    await waitFor(() => (readdirSync(workspaces).some((name) => name.startsWith(first!.id)) ? undefined : true), 5_000, 'the workspaces to be removed');
  }, 120_000);
});
