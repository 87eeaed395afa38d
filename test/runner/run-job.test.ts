import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { progressBodySchema, resultBodySchema, type JobSpec, type ProgressBody, type ResultBody } from '../../src/domain/runner-protocol.js';
import { runJob, type JobChannel } from '../../src/runner/run-job.js';
import { createRunnerLog } from '../../src/runner/runner-log.js';
import { defaultRunnerRoots } from '../../src/runner/runner-roots.js';
import { makeJobSpec } from './support/job-spec.js';
import { REPO_ROOT } from './support/run-cli.js';

/** An in-memory JobChannel that validates what it receives with the protocol schemas, like the server does. */
class RecordingChannel implements JobChannel {
  readonly progress: ProgressBody[] = [];
  readonly results: ResultBody[] = [];
  constructor(private readonly job: JobSpec) {}
  async getJob() {
    return this.job;
  }
  async postProgress(body: ProgressBody) {
    this.progress.push(progressBodySchema.parse(body));
    return true;
  }
  async postResult(body: ResultBody) {
    this.results.push(resultBodySchema.parse(body));
  }
  events() {
    return this.progress.flatMap((b) => b.steps);
  }
}

describe('runJob', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'runner-job-'));
    await mkdir(join(root, 'custom', 'steps'), { recursive: true });
    await mkdir(join(root, 'custom', 'pipelines'), { recursive: true });
  });
  afterEach(async () => rm(root, { recursive: true, force: true }));

  async function run(job: JobSpec) {
    const channel = new RecordingChannel(job);
    const lines: string[] = [];
    const result = await runJob({
      channel,
      roots: defaultRunnerRoots(REPO_ROOT, join(root, 'custom')),
      workdir: join(root, 'work'),
      log: createRunnerLog((l) => lines.push(l)),
      baseEnv: { PATH: process.env.PATH ?? '' },
      now: () => new Date(),
    });
    return { channel, result, lines };
  }

  it('runs custom steps in order, honours if: and continueOnError, and skips the rest after a failure', async () => {
    const steps = join(root, 'custom', 'steps');
    await writeFile(join(steps, 'hello.js'), "export default { title: 'Say hello', async run(ctx) { ctx.log.line('hello ' + ctx.with.name); return { status: 'passed', summary: 'said hello', output: { name: ctx.with.name } }; } };\n");
    await writeFile(join(steps, 'soft-fail.js'), "export default { async run() { return { status: 'failed', summary: 'soft failure' }; } };\n");
    await writeFile(join(steps, 'boom.js'), "export default { async run(ctx) { ctx.log.line('about to fail'); throw new Error('exploded with ' + ctx.job.github.token); } };\n");
    await writeFile(
      join(root, 'custom', 'pipelines', 'flow.yml'),
      [
        'steps:',
        '  - id: greet',
        '    uses: hello',
        '    with: { name: world }',
        '  - id: soft',
        '    uses: soft-fail',
        '    continueOnError: true',
        '  - id: only-with-pr',
        '    uses: hello',
        '    if: has-pr',
        '  - id: explode',
        '    uses: boom',
        '  - id: report',
        '    uses: report',
        '',
      ].join('\n'),
    );
    const { channel, result } = await run(makeJobSpec({ pipeline: 'flow' }));
    expect(channel.progress[0]!.plannedSteps).toEqual([
      { id: 'greet', type: 'hello', title: 'Say hello' },
      { id: 'soft', type: 'soft-fail' },
      { id: 'only-with-pr', type: 'hello', title: 'Say hello' },
      { id: 'explode', type: 'boom' },
      { id: 'report', type: 'report', title: 'Report' },
    ]);
    const final = Object.fromEntries(channel.events().map((e) => [e.id, e.status]));
    expect(final).toEqual({ greet: 'passed', soft: 'failed', 'only-with-pr': 'skipped', explode: 'failed', report: 'skipped' });
    const greet = channel.events().find((e) => e.id === 'greet' && e.status === 'passed')!;
    expect(greet.output).toEqual({ name: 'world' });
    expect(greet.logExcerpt).toContain('hello world');
    const explode = channel.events().find((e) => e.id === 'explode' && e.status === 'failed')!;
    expect(explode.logExcerpt).toContain('about to fail');
    expect(explode.logExcerpt).not.toContain('ghs_unused_token_value');
    expect(channel.results).toEqual([result]);
    expect(result).toMatchObject({ outcome: 'failed', failedStep: 'explode', summary: 'said hello' });
    expect(result.failureReason).toBe('exploded with ***');
  });

  it('an unknown runtime fails the run before any step, naming the known runtimes', async () => {
    const job = makeJobSpec();
    const { channel, result } = await run({ ...job, agent: { ...job.agent, runtime: 'skynet' } });
    expect(channel.progress).toEqual([]);
    expect(result).toMatchObject({ outcome: 'failed', failedStep: 'setup' });
    expect(result.failureReason).toMatch(/unknown agent runtime "skynet"; known runtimes: claude-code/);
  });

  it('an unknown pipeline fails with the paths it looked at', async () => {
    const { result } = await run(makeJobSpec({ pipeline: 'nope' }));
    expect(result).toMatchObject({ outcome: 'failed', failedStep: 'setup' });
    expect(result.failureReason).toContain(join(REPO_ROOT, 'pipelines', 'nope.yml'));
  });

  it('shadow runs skip push and open-pr', async () => {
    await writeFile(join(root, 'custom', 'pipelines', 'shadowy.yml'), 'steps:\n  - id: push\n    uses: push\n  - id: open-pr\n    uses: open-pr\n  - id: guarded\n    uses: push\n    if: "!shadow"\n');
    const { channel, result } = await run(makeJobSpec({ pipeline: 'shadowy', shadow: true }));
    expect(Object.fromEntries(channel.events().map((e) => [e.id, e.status]))).toEqual({ push: 'skipped', 'open-pr': 'skipped', guarded: 'skipped' });
    expect(result.outcome).toBe('succeeded');
  });
});
