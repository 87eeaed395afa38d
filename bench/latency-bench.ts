import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelApiEmulator } from '../src/sandbox/model-api/index.js';
import { ensureAgentClis } from '../test/support/agent-clis.js';
import { SECRETS, startHarness } from '../test/support/orchestrator-harness.js';
import { formatTable, percentile, type BenchTable } from './bench-table.js';

const TICKETS = 20;
const FLOOR_RUNS = 10;
const GOAL_P95_MS = 1_500;

/**
 * How fast a labelled ticket reaches the model: a signed Linear webhook for a
 * ticket that was just labelled → the scripted model API's first request,
 * through the whole orchestrator (route, inbox, evaluation, claim, dispatch,
 * a local runner process, clone, the real Claude Code CLI). Beside it the
 * floor: the CLI alone, from spawn to its first request. Both in one run.
 */
export async function runLatencyBench(): Promise<BenchTable> {
  const clis = await ensureAgentClis();
  const model = new ModelApiEmulator({ script: { turns: [{ text: 'Nothing to change.' }] } });
  await model.start();
  const harness = await startHarness();
  try {
    const floor = await measureFloor(model, clis.bins.claude);
    const h = harness;
    h.github.state.addRepo({ owner: 'acme', name: 'fast', defaultBranch: 'main' });
    h.linear.store.addTeam({ key: 'LAT' });
    const label = h.linear.store.addLabel({ name: 'AI-Implement', team: null });
    await h.addMapping({
      teamKey: 'LAT',
      owner: 'acme',
      repo: 'fast',
      defaultBranch: 'main',
      executionMode: 'local',
      agentRuntime: 'claude-code',
      provider: 'anthropic',
      maxInProgressAiIssues: 100,
      extraEnv: { ANTHROPIC_BASE_URL: model.anthropicBaseUrl, ANTHROPIC_API_KEY: 'key-latency' },
    });
    const latencies: number[] = [];
    for (let i = 0; i < TICKETS; i++) {
      const issue = h.linear.store.addIssue({ team: 'LAT', title: `Latency ${i}` });
      issue.labelIds.push(label.id);
      const delivery = h.linear.issueWebhook(issue.identifier, { secret: SECRETS.linearWebhook, updatedFrom: { labelIds: [] } });
      const before = model.requests.length;
      const sent = Date.now();
      const res = await fetch(`${h.orchestrator.url}/webhooks/linear`, { method: 'POST', headers: { 'content-type': 'application/json', ...delivery.headers }, body: delivery.body });
      if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
      const first = await waitFor(() => model.requests.slice(before).find((r) => r.path.startsWith('/v1/messages')), 60_000);
      latencies.push(first.at - sent);
      const [run] = await h.runsOf(issue.identifier);
      if (run) await h.waitForTerminal(run.id, 120_000);
    }
    latencies.sort((a, b) => a - b);
    const p50 = percentile(latencies, 50);
    const p95 = percentile(latencies, 95);
    const floorP50 = percentile(floor, 50);
    const floorP95 = percentile(floor, 95);
    return {
      title: `latency: signed Linear webhook → first model request (local backend, real Claude Code ${clis.versions.claude}, ${TICKETS} tickets)`,
      columns: ['measure', 'p50 ms', 'p95 ms', 'target', 'ratio to the floor (p95)'],
      rows: [
        ['webhook → first model request', p50, p95, `p95 ≤ ${GOAL_P95_MS}`, p95 / floorP95],
        [`floor: CLI spawn → first request (${FLOOR_RUNS} runs)`, floorP50, floorP95, '-', 1],
      ],
      notes: [`${p95 <= GOAL_P95_MS ? 'met' : 'NOT met'}: p95 ${Math.round(p95)} ms against ${GOAL_P95_MS} ms; what the orchestrator adds at p50: ${Math.round(p50 - floorP50)} ms`],
    };
  } finally {
    await harness.stop();
    await model.stop();
  }
}

/** The real CLI alone, as the runner starts it, against the same model API. */
async function measureFloor(model: ModelApiEmulator, claude: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < FLOOR_RUNS; i++) {
    const home = await mkdtemp(join(tmpdir(), 'latency-floor-'));
    try {
      const before = model.requests.length;
      const spawned = Date.now();
      await new Promise<void>((resolve, reject) => {
        const child = spawn(claude, ['-p', 'Say nothing.', '--output-format', 'json', '--model', 'claude-sonnet-4-5', '--permission-mode', 'bypassPermissions'], {
          cwd: home,
          env: { PATH: process.env.PATH ?? '', HOME: home, CLAUDE_CONFIG_DIR: join(home, '.claude'), ANTHROPIC_BASE_URL: model.anthropicBaseUrl, ANTHROPIC_API_KEY: 'key-floor', IS_SANDBOX: '1', DISABLE_AUTOUPDATER: '1', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' },
          stdio: ['ignore', 'ignore', 'ignore'],
        });
        child.on('error', reject);
        child.on('close', () => resolve());
      });
      const first = model.requests.slice(before).find((r) => r.path.startsWith('/v1/messages'));
      if (!first) throw new Error('the CLI made no model request');
      out.push(first.at - spawned);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  }
  return out.sort((a, b) => a - b);
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting for the first model request');
    await new Promise((r) => setTimeout(r, 5));
  }
}
