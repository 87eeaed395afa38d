import { runtimeSpecOf, type RuntimeSpec } from '../../src/runner/runtimes/runtime-table.js';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resultBodySchema, type JobSpec, type ResultBody } from '../../src/domain/runner-protocol.js';
import { addAgentUsage } from '../../src/runner/agent-usage.js';
import { runJob, type JobChannel } from '../../src/runner/run-job.js';
import { createRunnerLog } from '../../src/runner/runner-log.js';
import { defaultRunnerRoots } from '../../src/runner/runner-roots.js';
import type { AgentInvocation, AgentResult, AgentRuntime } from '../../src/runner/runtimes/agent-runtime.js';
import { makeJobSpec } from './support/job-spec.js';
import { REPO_ROOT } from './support/run-cli.js';

describe('addAgentUsage', () => {
  it('sums all four token kinds and prefers the cost the CLI reported', () => {
    const first = addAgentUsage({}, { tokens: { input: 100, output: 50, cacheRead: 1_000, cacheWrite: 200 }, costUsd: 0.5, model: 'claude-sonnet-4-5' });
    const both = addAgentUsage(first, { tokens: { input: 10, output: 5, cacheRead: 500 }, costUsd: 0.25, model: 'claude-sonnet-4-5' });
    expect(both).toEqual({ tokens: { input: 110, output: 55, cacheRead: 1_500, cacheWrite: 200 }, costUsd: 0.75 });
  });

  it('prices tokens from the table when the CLI reported no cost', () => {
    const usage = addAgentUsage({}, { tokens: { input: 1_000_000, output: 100_000, cacheRead: 1_000_000 }, model: 'gpt-5.1-codex' });
    expect(usage).toEqual({ tokens: { input: 1_000_000, output: 100_000, cacheRead: 1_000_000 }, costUsd: 2.375 });
  });

  it('makes the run’s cost unknown once a call cannot be priced, and keeps counting tokens', () => {
    const known = addAgentUsage({}, { tokens: { input: 10, output: 10 }, costUsd: 0.1 });
    const unknown = addAgentUsage(known, { tokens: { input: 10, output: 10 }, model: 'auto' });
    expect(unknown).toEqual({ tokens: { input: 20, output: 20 }, costUnknown: true });
    expect(addAgentUsage(unknown, { tokens: { input: 1, output: 1 }, costUsd: 1 })).toEqual({ tokens: { input: 21, output: 21 }, costUnknown: true });
  });

  it('adds nothing for a call that reported nothing', () => {
    expect(addAgentUsage({}, {})).toEqual({});
    expect(addAgentUsage({ costUsd: 0.2 }, { model: 'gpt-5' })).toEqual({ costUsd: 0.2 });
  });
});

/** A runtime that answers each call with the next scripted result, and remembers what it was asked. */
class ScriptedRuntime implements AgentRuntime {
  readonly calls: AgentInvocation[] = [];
  readonly spec: RuntimeSpec;
  constructor(
    readonly id: string,
    private readonly results: AgentResult[],
  ) {
    this.spec = runtimeSpecOf(id) ?? { id, versionArgs: [], providers: [] };
  }
  async run(invocation: AgentInvocation): Promise<AgentResult> {
    this.calls.push(invocation);
    const next = this.results.shift();
    if (!next) throw new Error('no scripted result left');
    return next;
  }
}

class Channel implements JobChannel {
  readonly results: ResultBody[] = [];
  constructor(private readonly job: JobSpec) {}
  async getJob() {
    return this.job;
  }
  async postProgress() {
    return true;
  }
  async postResult(body: ResultBody) {
    this.results.push(resultBodySchema.parse(body));
  }
}

describe('runJob reports the agent, tokens and cost of every agent step', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'runner-usage-'));
    await mkdir(join(root, 'custom', 'steps'), { recursive: true });
    await mkdir(join(root, 'custom', 'pipelines'), { recursive: true });
    // A step that runs the agent once and fails when the agent did.
    await writeFile(
      join(root, 'custom', 'steps', 'ask.js'),
      "export default { async run(ctx) { const r = await ctx.runAgent({ prompt: 'go', mode: 'edit' }); return r.exitCode === 0 ? { status: 'passed', summary: 'asked' } : { status: 'failed', summary: `the agent exited with ${r.exitCode}` }; } };\n",
    );
    await writeFile(join(root, 'custom', 'pipelines', 'twice.yml'), 'steps:\n  - id: first\n    uses: ask\n  - id: second\n    uses: ask\n');
  });
  afterEach(async () => rm(root, { recursive: true, force: true }));

  async function run(job: JobSpec, runtime: AgentRuntime) {
    const channel = new Channel(job);
    const result = await runJob({
      channel,
      roots: defaultRunnerRoots(REPO_ROOT, join(root, 'custom')),
      workdir: join(root, 'work'),
      log: createRunnerLog(() => undefined),
      baseEnv: { PATH: process.env.PATH ?? '' },
      runtimes: new Map([[runtime.id, runtime]]),
      now: () => new Date(),
    });
    expect(channel.results).toEqual([result]);
    return result;
  }

  it('sums two agent steps, cache included, taking the CLI’s cost where given and the price table otherwise', async () => {
    const job = makeJobSpec({ pipeline: 'twice' });
    const runtime = new ScriptedRuntime('claude-code', [
      { exitCode: 0, timedOut: false, text: 'one', tokens: { input: 1_000, output: 500, cacheRead: 20_000, cacheWrite: 4_000 }, costUsd: 0.0421, model: 'claude-sonnet-4-5-20250929' },
      // No cost from the CLI: priced at Sonnet 4.5 list price (3 / 15 / 0.30 / 3.75 per million).
      { exitCode: 0, timedOut: false, text: 'two', tokens: { input: 2_000, output: 1_000, cacheRead: 10_000 } },
    ]);
    const result = await run({ ...job, agent: { ...job.agent, runtime: 'claude-code', provider: 'anthropic' } }, runtime);
    expect(result.outcome).toBe('succeeded');
    expect(result.tokens).toEqual({ input: 3_000, output: 1_500, cacheRead: 30_000, cacheWrite: 4_000 });
    // 0.0421 + (2,000 × 3 + 1,000 × 15 + 10,000 × 0.3) / 1e6 = 0.0421 + 0.024
    expect(result.costUsd).toBe(0.0661);
    // The second call named no model: the runtime table's default for claude-code on anthropic.
    expect(result.agent).toEqual({ runtime: 'claude-code', model: 'claude-sonnet-4-5', provider: 'anthropic' });
  });

  it('prices with the mapping’s model for the runtime, and leaves the cost out when the model is unknown', async () => {
    const job = makeJobSpec({ pipeline: 'twice' });
    const codex = { ...job, agent: { ...job.agent, runtime: 'codex', provider: 'openai' as const, models: { codex: 'gpt-5.1-codex' } } };
    const priced = await run(codex, new ScriptedRuntime('codex', [
      { exitCode: 0, timedOut: false, text: '', tokens: { input: 100_000, output: 10_000, cacheRead: 400_000 } },
      { exitCode: 0, timedOut: false, text: '', tokens: { input: 100_000, output: 10_000 } },
    ]));
    // (100k × 1.25 + 10k × 10 + 400k × 0.125) + (100k × 1.25 + 10k × 10) micro-dollars = 0.275 + 0.225
    expect(priced.costUsd).toBe(0.5);
    expect(priced.agent).toEqual({ runtime: 'codex', model: 'gpt-5.1-codex', provider: 'openai' });

    const unknown = await run(codex, new ScriptedRuntime('codex', [
      { exitCode: 0, timedOut: false, text: '', tokens: { input: 10, output: 10 }, model: 'gpt-7-experimental' },
      { exitCode: 0, timedOut: false, text: '', tokens: { input: 10, output: 10 }, costUsd: 0.01 },
    ]));
    expect(unknown.tokens).toEqual({ input: 20, output: 20 });
    expect(unknown.costUsd).toBeUndefined();
  });

  it('cuts a 100 KB plan with a visible note instead of overrunning the result schema', async () => {
    await writeFile(join(root, 'custom', 'steps', 'big-plan.js'), "export default { async run(ctx) { ctx.state.plan = 'p'.repeat(100 * 1024); return { status: 'passed' }; } };\n");
    await writeFile(join(root, 'custom', 'pipelines', 'plan-big.yml'), 'steps:\n  - id: plan\n    uses: big-plan\n');
    const result = await run(makeJobSpec({ pipeline: 'plan-big', phase: 'plan' }), new ScriptedRuntime('demo', []));
    expect(result.plan!.length).toBeLessThanOrEqual(60_000);
    expect(result.plan).toMatch(/^p+\n… cut: 42,464 more characters$/);
  });

  it('puts the CLI’s own reason under the failed step’s summary, cleaned, redacted and cut to its last lines', async () => {
    const job = makeJobSpec({ pipeline: 'twice', env: { ANTHROPIC_API_KEY: 'sk-ant-api03-very-secret' } });
    const noise = Array.from({ length: 40 }, (_, i) => `retrying ${i}`).join('\n');
    const runtime = new ScriptedRuntime('claude-code', [
      {
        exitCode: 1,
        timedOut: false,
        text: '',
        errorText: `${noise}\n\x1b[31mAPI Error: 529 Overloaded\x1b[0m (key sk-ant-api03-very-secret)`,
        tokens: { input: 10, output: 0 },
        costUsd: 0.001,
      },
    ]);
    const result = await run({ ...job, agent: { ...job.agent, runtime: 'claude-code', provider: 'anthropic' } }, runtime);
    expect(result).toMatchObject({ outcome: 'failed', failedStep: 'first', costUsd: 0.001 });
    const lines = result.failureReason!.split('\n');
    expect(lines[0]).toBe('the agent exited with 1');
    expect(lines[1]).toMatch(/^… cut: [\d,]+ earlier characters$/);
    expect(lines.at(-1)).toBe('API Error: 529 Overloaded (key ***)');
    expect(lines.length).toBe(22);
    expect(result.failureReason).not.toContain('\x1b');
  });
});
