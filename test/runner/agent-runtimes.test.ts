import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAgentGuidance } from '../../src/runner/runtimes/read-agent-guidance.js';
import {
  AGENT_RUNTIMES,
  claudeCodeArgs,
  MissingCredentialsError,
  resolveAgentRuntime,
  UnknownRuntimeError,
  type AgentInvocation,
} from '../../src/runner/runtimes/index.js';
import { makeJobSpec } from './support/job-spec.js';

describe('agent runtimes', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'runner-runtimes-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  const invocation = (overrides: Partial<AgentInvocation> = {}): AgentInvocation => ({
    prompt: 'do the thing',
    mode: 'edit',
    cwd: dir,
    maxTurns: 12,
    timeoutMs: 10_000,
    env: { PATH: `${dir}:${process.env.PATH ?? ''}` },
    job: makeJobSpec(),
    onOutput: () => {},
    ...overrides,
  });

  it('registers every runtime and names the known ones for an unknown id', () => {
    expect([...AGENT_RUNTIMES.keys()].sort()).toEqual(['claude-code', 'codex', 'cursor', 'demo', 'gemini', 'opencode']);
    expect(() => resolveAgentRuntime('gpt-pilot')).toThrow(UnknownRuntimeError);
    expect(() => resolveAgentRuntime('gpt-pilot')).toThrow(/unknown agent runtime "gpt-pilot"; known runtimes: .*claude-code/);
  });

  it('claude-code passes max turns, the model verbatim and read-only mode for plans', () => {
    expect(claudeCodeArgs(invocation({ model: 'claude-opus-4-1[1m]' }))).toEqual([
      '-p', 'do the thing', '--max-turns', '12', '--output-format', 'json', '--dangerously-skip-permissions', '--model', 'claude-opus-4-1[1m]',
    ]);
    expect(claudeCodeArgs(invocation({ mode: 'plan' }))).toContain('plan');
    expect(claudeCodeArgs(invocation({ mode: 'plan' }))).not.toContain('--dangerously-skip-permissions');
  });

  it('claude-code refuses to start without credentials, naming what to set', async () => {
    const error = await resolveAgentRuntime('claude-code').run(invocation()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingCredentialsError);
    expect((error as Error).message).toContain('ANTHROPIC_API_KEY, CLAUDE_CODE_OAUTH_TOKEN');
  });

  it('runs the CLI, reads its JSON output and sets Bedrock env', async () => {
    // A stand-in `claude` on PATH that echoes its env and args as the JSON result.
    await writeFile(
      join(dir, 'claude'),
      '#!/bin/sh\nprintf \'{"result":"bedrock=%s region=%s args=%s","total_cost_usd":0.25,"usage":{"input_tokens":100,"output_tokens":20}}\' "$CLAUDE_CODE_USE_BEDROCK" "$AWS_REGION" "$*"\n',
    );
    await chmod(join(dir, 'claude'), 0o755);
    const job = makeJobSpec({ agent: { ...makeJobSpec().agent, runtime: 'claude-code', provider: 'bedrock', awsRegion: 'eu-west-1' } });
    const result = await resolveAgentRuntime('claude-code').run(invocation({ job }));
    expect(result).toMatchObject({ exitCode: 0, timedOut: false, costUsd: 0.25, tokens: { input: 100, output: 20 } });
    expect(result.text).toMatch(/^bedrock=1 region=eu-west-1 args=-p do the thing --max-turns 12/);
  });

  it('kills an agent that outlives its time limit, with the processes it started', async () => {
    await writeFile(join(dir, 'codex'), '#!/bin/sh\nsleep 30 &\nwait\n');
    await chmod(join(dir, 'codex'), 0o755);
    const started = Date.now();
    const result = await resolveAgentRuntime('codex').run(invocation({ timeoutMs: 300, env: { PATH: `${dir}:${process.env.PATH ?? ''}`, OPENAI_API_KEY: 'sk-test' } }));
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('demo writes the ticket file with instructions in edit mode', async () => {
    const job = makeJobSpec({ instructions: 'Also count gadgets.' });
    const result = await resolveAgentRuntime('demo').run(invocation({ job }));
    expect(result.exitCode).toBe(0);
    const { readFile } = await import('node:fs/promises');
    const text = await readFile(join(dir, 'ai-implement', 'ENG-42.md'), 'utf8');
    expect(text).toContain('# ENG-42: Add a widget counter');
    expect(text).toContain('Also count gadgets.');
  });

  it('reads model and guidance from WORKFLOW.md or PLANNING.md front matter', async () => {
    await writeFile(join(dir, 'WORKFLOW.md'), '---\n# ai-implement-template-version: 1\nmodel: us.anthropic.claude-sonnet-4-5-v1:0\n---\n\nRun npm test.\n');
    await writeFile(join(dir, 'PLANNING.md'), '---\nmodel: claude-opus-4-1\n---\nPlan small.\n');
    expect(await readAgentGuidance(dir, 'implement')).toEqual({ model: 'us.anthropic.claude-sonnet-4-5-v1:0', guidance: 'Run npm test.', file: 'WORKFLOW.md' });
    expect(await readAgentGuidance(dir, 'plan')).toMatchObject({ model: 'claude-opus-4-1', guidance: 'Plan small.' });
    expect(await readAgentGuidance(join(dir, 'missing'), 'gap-fill')).toEqual({ guidance: '' });
  });
});
