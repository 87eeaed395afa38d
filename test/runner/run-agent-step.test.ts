import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { runAgentStep, type AgentStepDeps } from '../../src/runner/run-agent-step.js';
import { runCommand } from '../../src/runner/run-command.js';
import { AGENT_RUNTIMES } from '../../src/runner/runtimes/index.js';
import { makeJobSpec } from './support/job-spec.js';

const root = await mkdtemp(join(tmpdir(), 'agent-step-'));
afterAll(() => rm(root, { recursive: true, force: true }));

async function fakeCli(bin: string, name: string, script: string): Promise<void> {
  await writeFile(join(bin, name), `#!/bin/sh\n${script}\n`);
  await chmod(join(bin, name), 0o755);
}

const git = (cwd: string, ...args: string[]) => runCommand('git', args, { cwd, env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });

describe('one agent pass: retries, fallback and read-only passes', () => {
  let bin: string;
  let repo: string;
  let waits: number[];
  let lines: string[];
  let n = 0;

  beforeEach(async () => {
    n += 1;
    bin = join(root, `bin-${n}`);
    repo = join(root, `repo-${n}`);
    await mkdir(bin);
    await mkdir(repo);
    await git(repo, 'init', '-q');
    await writeFile(join(repo, 'README.md'), '# app\n');
    await git(repo, 'add', '.');
    await git(repo, 'commit', '-qm', 'init');
    waits = [];
    lines = [];
  });

  const deps = (agent: Partial<ReturnType<typeof makeJobSpec>['agent']>, env: Record<string, string> = {}): AgentStepDeps => ({
    job: makeJobSpec({ agent: { ...makeJobSpec().agent, runtime: 'claude-code', ...agent } }),
    repoDir: repo,
    env: { PATH: `${bin}:${process.env.PATH ?? ''}`, ANTHROPIC_API_KEY: 'sk-ant', OPENAI_API_KEY: 'sk-oai', ...env },
    runtimes: AGENT_RUNTIMES,
    workflowModel: 'claude-opus-4-1',
    timeoutMs: 20_000,
    retry: { retries: 2, baseMs: 1_000, maxMs: 1_500 },
    sleep: async (ms) => void waits.push(ms),
    line: (text) => void lines.push(text),
    onOutput: () => {},
  });

  it('retries an overloaded vendor with capped back-off, then hands the pass to the fallback runtime with its own model', async () => {
    await fakeCli(bin, 'claude', `echo x >> "${root}/claude-calls-${n}"; printf '{"type":"result","is_error":true,"result":"API Error: 529 Overloaded"}'`);
    await fakeCli(
      bin,
      'codex',
      `echo "$*" > "${root}/codex-args-${n}"; echo done > hello.txt; echo '{"type":"item.completed","item":{"type":"agent_message","text":"wrote hello.txt"}}'; echo '{"type":"turn.completed","usage":{"input_tokens":10,"output_tokens":2}}'`,
    );
    const result = await runAgentStep(deps({ fallbackRuntime: 'codex' }), { prompt: 'write hello', mode: 'edit' });
    expect((await readFile(join(root, `claude-calls-${n}`), 'utf8')).trim().split('\n')).toHaveLength(3);
    expect(waits).toEqual([1_000, 1_500]);
    expect(result).toMatchObject({ runtime: 'codex', provider: 'openai', model: 'gpt-5.1-codex', fallbackFrom: ['claude-code'], exitCode: 0, text: 'wrote hello.txt' });
    // The repository's Claude model was not sent to Codex.
    expect(await readFile(join(root, `codex-args-${n}`), 'utf8')).not.toContain('claude');
    expect(lines.join('\n')).toContain('handing the pass to the fallback runtime codex after claude-code stayed overloaded');
    expect(await readFile(join(repo, 'hello.txt'), 'utf8')).toBe('done\n');
  });

  it('stops a stalled agent and tries it again', async () => {
    // First try: silent and idle past the stall limit. Second try: answers at once.
    await fakeCli(bin, 'claude', `if [ ! -f "${root}/stalled-${n}" ]; then touch "${root}/stalled-${n}"; sleep 30; fi; printf '{"type":"result","result":"ok","usage":{"input_tokens":1,"output_tokens":1}}'`);
    const result = await runAgentStep({ ...deps({ stallMs: 300 }) }, { prompt: 'p', mode: 'edit' });
    expect(waits).toEqual([1_000]);
    expect(result).toMatchObject({ runtime: 'claude-code', exitCode: 0, text: 'ok', fallbackFrom: [] });
  });

  it('a runtime that cannot start goes to the fallback; without one the refusal is the result', async () => {
    await fakeCli(bin, 'claude', 'echo should-not-run; exit 3');
    await fakeCli(bin, 'codex', `echo '{"type":"item.completed","item":{"type":"agent_message","text":"fine"}}'`);
    const handed = await runAgentStep(deps({ fallbackRuntime: 'codex' }, { ANTHROPIC_API_KEY: '' }), { prompt: 'p', mode: 'edit' });
    expect(handed).toMatchObject({ runtime: 'codex', fallbackFrom: ['claude-code'], text: 'fine' });
    const refused = await runAgentStep(deps({}, { ANTHROPIC_API_KEY: '' }), { prompt: 'p', mode: 'edit' });
    expect(refused.refused).toContain('claude-code on anthropic has no credentials');
    expect(refused.exitCode).toBeNull();
  });

  it('undoes and fails a read-only pass that changed the work tree', async () => {
    await fakeCli(bin, 'claude', `echo sneaky > sneaky.txt; echo changed >> README.md; printf '{"type":"result","result":"The plan: ..."}'`);
    const result = await runAgentStep(deps({}), { prompt: 'plan it', mode: 'plan' });
    expect(result.exitCode).toBe(1);
    expect(result.errorText).toBe('the agent changed files during a read-only plan pass; the changes were undone');
    expect(existsSync(join(repo, 'sneaky.txt'))).toBe(false);
    expect(await readFile(join(repo, 'README.md'), 'utf8')).toBe('# app\n');
  });

  it('a read-only pass that changes nothing keeps its text', async () => {
    await fakeCli(bin, 'claude', `cat README.md > /dev/null; printf '{"type":"result","result":"1. Add a counter"}'`);
    const result = await runAgentStep(deps({}), { prompt: 'plan it', mode: 'plan' });
    expect(result).toMatchObject({ exitCode: 0, text: '1. Add a counter', model: 'claude-opus-4-1' });
  });
});
