import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAgentGuidance } from '../../src/runner/runtimes/read-agent-guidance.js';
import { resolveModel, vendorOfModel } from '../../src/runner/runtimes/resolve-model.js';
import {
  AGENT_RUNTIMES,
  AgentRefusal,
  claudeCodeArgs,
  codexArgs,
  geminiArgs,
  resolveAgentRuntime,
  UnknownRuntimeError,
  type AgentInvocation,
} from '../../src/runner/runtimes/index.js';
import { makeJobSpec } from './support/job-spec.js';

/** A stand-in CLI on PATH: the adapters' contract (arguments, env, home, output parsing) without a model. */
async function fakeCli(dir: string, name: string, script: string): Promise<void> {
  await writeFile(join(dir, name), `#!/bin/sh\n${script}\n`);
  await chmod(join(dir, name), 0o755);
}

describe('agent runtimes', () => {
  let dir: string;
  let bin: string;
  let home: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'runner-runtimes-'));
    bin = join(dir, 'bin');
    home = join(dir, 'home');
    await mkdir(bin);
    await mkdir(home);
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  const invocation = (overrides: Partial<AgentInvocation> = {}): AgentInvocation => ({
    prompt: 'do the thing',
    mode: 'edit',
    cwd: dir,
    model: 'claude-sonnet-4-5',
    provider: 'anthropic',
    maxTurns: 12,
    timeoutMs: 10_000,
    env: { PATH: `${bin}:${process.env.PATH ?? ''}`, ANTHROPIC_API_KEY: 'sk-ant-test' },
    home,
    job: makeJobSpec(),
    onOutput: () => {},
    ...overrides,
  });

  it('registers every runtime and names the known ones for an unknown id', () => {
    expect([...AGENT_RUNTIMES.keys()].sort()).toEqual(['claude-code', 'codex', 'cursor', 'demo', 'gemini', 'opencode']);
    expect(() => resolveAgentRuntime('gpt-pilot')).toThrow(UnknownRuntimeError);
    expect(() => resolveAgentRuntime('gpt-pilot')).toThrow(/unknown agent runtime "gpt-pilot"; known runtimes: .*claude-code/);
  });

  it('claude-code edits with bypassPermissions and plans with read-only tools, never plan mode', () => {
    expect(claudeCodeArgs(invocation({ model: 'claude-opus-4-1[1m]' }))).toEqual([
      '-p', 'do the thing', '--output-format', 'json', '--max-turns', '12', '--model', 'claude-opus-4-1[1m]', '--permission-mode', 'bypassPermissions',
    ]);
    const plan = claudeCodeArgs(invocation({ mode: 'plan' }));
    expect(plan).not.toContain('plan');
    expect(plan).not.toContain('bypassPermissions');
    expect(plan.join(' ')).toContain('--allowedTools Read,Grep,Glob,LS');
    expect(plan.join(' ')).toContain('--disallowedTools Write,Edit,MultiEdit,NotebookEdit,Bash');
  });

  it('codex runs in our container with full access for edits, read-only otherwise, and reaches a custom base URL through a provider', () => {
    expect(codexArgs(invocation({ model: 'gpt-5.1-codex' }))).toEqual(expect.arrayContaining(['exec', '--json', '--skip-git-repo-check', '--sandbox', 'danger-full-access', '--model', 'gpt-5.1-codex']));
    expect(codexArgs(invocation({ mode: 'review' }))).toEqual(expect.arrayContaining(['--sandbox', 'read-only']));
    const custom = codexArgs(invocation({ env: { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' } })).join(' ');
    expect(custom).toContain('model_providers.ai-implement.base_url=http://127.0.0.1:9/v1');
    expect(custom).toContain('model_providers.ai-implement.wire_api=responses');
    expect(geminiArgs(invocation({ model: 'gemini-2.5-pro' }))).toEqual(expect.arrayContaining(['--approval-mode', 'yolo', '--skip-trust', '-m', 'gemini-2.5-pro']));
    expect(geminiArgs(invocation({ mode: 'plan' }))).toEqual(expect.arrayContaining(['--approval-mode', 'default']));
  });

  it('refuses before spawning when credentials are missing, the CLI is absent or the provider is not the runtime’s', async () => {
    await fakeCli(bin, 'claude', 'echo should-not-run; exit 1');
    const noKey = await resolveAgentRuntime('claude-code').run(invocation({ env: { PATH: bin } })).catch((e: unknown) => e);
    expect(noKey).toBeInstanceOf(AgentRefusal);
    expect((noKey as Error).message).toContain('set ANTHROPIC_API_KEY, or CLAUDE_CODE_OAUTH_TOKEN');
    const absent = await resolveAgentRuntime('gemini').run(invocation({ provider: 'google', env: { PATH: bin, GEMINI_API_KEY: 'k' } })).catch((e: unknown) => e);
    expect(absent).toBeInstanceOf(AgentRefusal);
    expect((absent as Error).message).toMatch(/gemini is not installed on this runner: no `gemini` on PATH.*npm run agents:install.*@google\/gemini-cli/);
    const provider = await resolveAgentRuntime('codex').run(invocation({ provider: 'anthropic' })).catch((e: unknown) => e);
    expect((provider as Error).message).toBe('codex cannot use the provider "anthropic"; it works with openai. Set the project\'s provider to one of them, or pick another agent runtime.');
  });

  it('runs claude in a home of its own and reads tokens with cache, cost and model from its JSON', async () => {
    await fakeCli(
      bin,
      'claude',
      'printf \'{"type":"result","is_error":false,"result":"home=%s config=%s bedrock=%s region=%s","total_cost_usd":0.25,"usage":{"input_tokens":100,"output_tokens":20,"cache_read_input_tokens":300,"cache_creation_input_tokens":40},"modelUsage":{"us.anthropic.claude-sonnet-4-5-20250929-v1:0":{}}}\' "$HOME" "$CLAUDE_CONFIG_DIR" "$CLAUDE_CODE_USE_BEDROCK" "$AWS_REGION"',
    );
    const job = makeJobSpec({ agent: { ...makeJobSpec().agent, runtime: 'claude-code', provider: 'bedrock', awsRegion: 'eu-west-1' } });
    const result = await resolveAgentRuntime('claude-code').run(invocation({ job, provider: 'bedrock', env: { PATH: bin, AWS_PROFILE: 'ci' } }));
    expect(result).toMatchObject({ exitCode: 0, timedOut: false, costUsd: 0.25, tokens: { input: 100, output: 20, cacheRead: 300, cacheWrite: 40 }, model: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0' });
    expect(result.text).toBe(`home=${home} config=${home}/.claude bedrock=1 region=eu-west-1`);
  });

  it('gives the CLI’s own reason when it fails, and tells an overloaded vendor from another failure', async () => {
    await fakeCli(bin, 'claude', 'printf \'{"type":"result","is_error":true,"result":"API Error: 529 {\\"type\\":\\"overloaded_error\\"}"}\'');
    const overloaded = await resolveAgentRuntime('claude-code').run(invocation());
    expect(overloaded).toMatchObject({ exitCode: 1, overloaded: true });
    expect(overloaded.errorText).toContain('529');
    await fakeCli(bin, 'claude', 'echo "Error: Invalid API key · Please run /login" >&2; exit 1');
    const denied = await resolveAgentRuntime('claude-code').run(invocation());
    expect(denied).toMatchObject({ exitCode: 1, overloaded: false, errorText: 'Error: Invalid API key · Please run /login' });
  });

  it('reads codex events: the last message, usage with cached tokens, and a failure that exits 0', async () => {
    await fakeCli(
      bin,
      'codex',
      [
        `echo '{"type":"thread.started","thread_id":"t1"}'`,
        `echo '{"type":"item.completed","item":{"id":"i1","type":"agent_message","text":"Created hello.txt"}}'`,
        `echo '{"type":"turn.completed","usage":{"input_tokens":900,"cached_input_tokens":600,"output_tokens":45}}'`,
        `echo "codex home is $CODEX_HOME key $CODEX_API_KEY" >&2`,
      ].join('\n'),
    );
    const ok = await resolveAgentRuntime('codex').run(invocation({ provider: 'openai', model: 'gpt-5.1-codex', env: { PATH: bin, OPENAI_API_KEY: 'sk-openai' } }));
    expect(ok).toMatchObject({ exitCode: 0, text: 'Created hello.txt', tokens: { input: 300, output: 45, cacheRead: 600, cacheWrite: 0 } });
    // A warning item (a model Codex has no metadata for) is not a failure; the turn decides.
    await fakeCli(
      bin,
      'codex',
      [
        `echo '{"type":"item.completed","item":{"type":"error","message":"Model metadata for gpt-5.1-codex not found. Defaulting to fallback metadata"}}'`,
        `echo '{"type":"item.completed","item":{"type":"agent_message","text":"ok"}}'`,
        `echo '{"type":"turn.completed","usage":{"input_tokens":100,"cached_input_tokens":20,"cache_write_input_tokens":30,"output_tokens":5}}'`,
      ].join('\n'),
    );
    const warned = await resolveAgentRuntime('codex').run(invocation({ provider: 'openai', model: 'gpt-5.1-codex', env: { PATH: bin, CODEX_API_KEY: 'k' } }));
    expect(warned).toMatchObject({ exitCode: 0, text: 'ok', tokens: { input: 50, output: 5, cacheRead: 20, cacheWrite: 30 } });
    expect(warned.errorText).toBeUndefined();
    await fakeCli(bin, 'codex', `echo '{"type":"turn.failed","error":{"message":"stream error: 503 Service Unavailable"}}'`);
    const failed = await resolveAgentRuntime('codex').run(invocation({ provider: 'openai', model: 'gpt-5.1-codex', env: { PATH: bin, CODEX_API_KEY: 'k' } }));
    expect(failed).toMatchObject({ exitCode: 1, overloaded: true, errorText: 'stream error: 503 Service Unavailable' });
  });

  it('reads gemini stats (cached tokens apart) and fails a run whose tool calls failed although it exited 0', async () => {
    await fakeCli(
      bin,
      'gemini',
      `test -f "$HOME/.gemini/settings.json" || exit 41\nprintf '{"response":"done","stats":{"models":{"gemini-2.5-pro":{"tokens":{"prompt":1000,"candidates":50,"cached":400,"thoughts":10}}},"tools":{"totalFail":1}}}'`,
    );
    const result = await resolveAgentRuntime('gemini').run(invocation({ provider: 'google', model: 'gemini-2.5-pro', env: { PATH: bin, GEMINI_API_KEY: 'g' } }));
    expect(result).toMatchObject({ exitCode: 1, text: 'done', tokens: { input: 600, output: 60, cacheRead: 400, cacheWrite: 0 }, model: 'gemini-2.5-pro', errorText: '1 tool call(s) failed' });
    expect(JSON.parse(await readFile(join(home, '.gemini', 'settings.json'), 'utf8'))).toMatchObject({ security: { auth: { selectedType: 'gemini-api-key' } } });
  });

  it('reads opencode steps: tokens with cache, its own cost, and a rejected tool call', async () => {
    await fakeCli(
      bin,
      'opencode',
      [
        `echo '{"type":"text","part":{"text":"Wrote the file"}}'`,
        `echo '{"type":"step_finish","part":{"tokens":{"input":200,"output":30,"reasoning":5,"cache":{"read":100,"write":50}},"cost":0.0123}}'`,
        `echo '{"type":"tool_use","part":{"tool":"write","state":{"status":"error","error":"permission denied: edit"}}}'`,
      ].join('\n'),
    );
    const result = await resolveAgentRuntime('opencode').run(invocation({ model: 'anthropic/claude-sonnet-4-5' }));
    expect(result).toMatchObject({ exitCode: 1, text: 'Wrote the file', costUsd: 0.0123, tokens: { input: 200, output: 35, cacheRead: 100, cacheWrite: 50 }, errorText: 'permission denied: edit' });
  });

  it('kills an agent that outlives its time limit, with the processes it started', async () => {
    await fakeCli(bin, 'codex', 'sleep 30 &\nwait');
    const started = performance.now();
    const result = await resolveAgentRuntime('codex').run(invocation({ provider: 'openai', timeoutMs: 300, env: { PATH: `${bin}:${process.env.PATH ?? ''}`, OPENAI_API_KEY: 'sk-test' } }));
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).not.toBe(0);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('stops an agent that prints nothing and changes nothing for its stall limit', async () => {
    const repo = join(dir, 'stall-repo');
    await mkdir(repo);
    const { runCommand } = await import('../../src/runner/run-command.js');
    await runCommand('git', ['init', '-q'], { cwd: repo, env: process.env });
    await fakeCli(bin, 'claude', 'sleep 30');
    const started = performance.now();
    const result = await resolveAgentRuntime('claude-code').run(invocation({ cwd: repo, stallMs: 400, env: { PATH: `${bin}:${process.env.PATH ?? ''}`, ANTHROPIC_API_KEY: 'k' } }));
    expect(result).toMatchObject({ stalled: true, timedOut: false });
    expect(performance.now() - started).toBeLessThan(8_000);
  });

  it('demo writes the ticket file with instructions in edit mode', async () => {
    const job = makeJobSpec({ instructions: 'Also count gadgets.' });
    const result = await resolveAgentRuntime('demo').run(invocation({ job }));
    expect(result.exitCode).toBe(0);
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

describe('which model a runtime is started with', () => {
  it('takes the repository’s, then the mapping’s, then the vendor default for the provider', () => {
    expect(resolveModel('claude-code', 'anthropic', { workflow: 'claude-opus-4-1', mapping: 'claude-sonnet-4-5' })).toEqual({ model: 'claude-opus-4-1', source: 'workflow' });
    expect(resolveModel('claude-code', 'anthropic', { mapping: 'claude-haiku-4-5' })).toEqual({ model: 'claude-haiku-4-5', source: 'mapping' });
    expect(resolveModel('claude-code', 'bedrock', {})).toEqual({ model: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', source: 'default' });
    expect(resolveModel('gemini', 'google', {}).model).toBe('gemini-2.5-pro');
  });

  it('never sends a Claude model to another vendor’s CLI', () => {
    const codex = resolveModel('codex', 'openai', { workflow: 'claude-sonnet-4-5' });
    expect(codex).toMatchObject({ model: 'gpt-5.1-codex', source: 'default' });
    expect(codex.warning).toContain('claude-sonnet-4-5, a anthropic model codex cannot run');
    expect(resolveModel('gemini', 'google', { workflow: 'claude-sonnet-4-5', mapping: 'gemini-2.5-flash' })).toMatchObject({ model: 'gemini-2.5-flash', source: 'mapping' });
    expect(resolveModel('opencode', 'openai', { workflow: 'anthropic/claude-sonnet-4-5' }).model).toBe('openai/gpt-5.1-codex');
    expect(vendorOfModel('us.anthropic.claude-sonnet-4-5-20250929-v1:0')).toBe('anthropic');
    expect(vendorOfModel('o4-mini')).toBe('openai');
    expect(vendorOfModel('my-own-model')).toBeUndefined();
  });
});
