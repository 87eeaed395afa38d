import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelApiEmulator, type ModelFault, type ModelApiRequest } from '../../../src/sandbox/model-api/index.js';
import { ensureAgentClis, type AgentCli, type AgentClis } from '../../support/agent-clis.js';
import { runAgentCli, type AgentCliRun, type AgentCliSpawn } from '../../support/run-agent-cli.js';
import { readClaudeOutput, readCodexOutput, readGeminiOutput, readOpencodeOutput, type AgentOutcome } from './agent-outputs.js';
import { claudeInvocation, codexInvocation, geminiInvocation, makeWorkspace, opencodeInvocation, type InvocationInput } from './agent-invocations.js';

/**
 * The real agent CLIs, installed at pinned versions, run headless against the
 * emulator: each must carry out the scripted write through its own tool and
 * report the emulator's token counts. Per CLI the same script, its usage per
 * turn chosen so every count is recognisable in the CLI's output.
 */

const TURN_USAGE = { input: 101, cacheRead: 2_002, cacheWrite: 303, output: 44, reasoning: 5 };
const CONTENT = 'hello from the scripted model\nsecond line\n';

interface CliCase {
  cli: AgentCli;
  invocation: (input: InvocationInput) => AgentCliSpawn;
  read: (stdout: string, stderr: string) => AgentOutcome;
  tool: string;
  /** The counts the CLI reports for `turns` scripted responses, in `AgentOutcome` terms; each vendor's wire format drops some. */
  expectedUsage: (turns: number) => AgentOutcome['usage'];
  /** The status an overloaded server answers in this CLI's wire format. */
  overloaded: number;
  /** How the CLI exits once it gives up on an overloaded storm, and the status its output names (Codex names none). */
  gaveUp: { exit: number; status?: number };
  /** A stall the CLI gets over with a 5 s stall timeout, or (`recovers: false`) one it waits on until killed. */
  stall: { fault: ModelFault; recovers: boolean };
}

const times = (turns: number, usage: Partial<AgentOutcome['usage']>) => ({
  input: (usage.input ?? 0) * turns,
  cacheRead: (usage.cacheRead ?? 0) * turns,
  cacheWrite: (usage.cacheWrite ?? 0) * turns,
  output: (usage.output ?? 0) * turns,
  reasoning: (usage.reasoning ?? 0) * turns,
});

const CASES: CliCase[] = [
  // The Anthropic format has no reasoning count of its own.
  { cli: 'claude', invocation: claudeInvocation, read: readClaudeOutput, tool: 'Write', overloaded: 529, gaveUp: { exit: 1, status: 529 }, stall: { fault: { kind: 'stall', times: 1 }, recovers: true }, expectedUsage: (n) => times(n, { ...TURN_USAGE, reasoning: 0 }) },
  { cli: 'codex', invocation: codexInvocation, read: readCodexOutput, tool: 'apply_patch', overloaded: 503, gaveUp: { exit: 1 }, stall: { fault: { kind: 'stall-stream', afterEvents: 3, times: 1 }, recovers: true }, expectedUsage: (n) => times(n, TURN_USAGE) },
  // Gemini has no cache writes; the emulator leaves them out of its counts. It exits with the HTTP status mod 256.
  { cli: 'gemini', invocation: geminiInvocation, read: readGeminiOutput, tool: 'write_file', overloaded: 503, gaveUp: { exit: 503 % 256, status: 503 }, stall: { fault: { kind: 'stall-stream', afterEvents: 1, times: 1 }, recovers: false }, expectedUsage: (n) => times(n, { ...TURN_USAGE, cacheWrite: 0 }) },
  { cli: 'opencode', invocation: opencodeInvocation, read: readOpencodeOutput, tool: 'write', overloaded: 529, gaveUp: { exit: 1, status: 529 }, stall: { fault: { kind: 'stall-stream', afterEvents: 3, times: 1, role: 'turn' }, recovers: false }, expectedUsage: (n) => times(n, { ...TURN_USAGE, reasoning: 0 }) },
];

const STALL_TIMEOUT_MS = 5_000;
/** How long a CLI that never gives up on a stall is left waiting before the test kills it. */
const STALL_PATIENCE_MS = 15_000;

describe('real agent CLIs against the model-api emulator', () => {
  const emulator = new ModelApiEmulator();
  const roots: string[] = [];
  let clis: AgentClis;
  let baseUrl: string;
  let runs = 0;

  beforeAll(async () => {
    clis = await ensureAgentClis();
    baseUrl = await emulator.start();
  }, 20 * 60_000);

  afterAll(async () => {
    await emulator.stop();
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });

  /** One run with its own workspace, API key and script; optionally with a fault on its requests. */
  async function play(c: CliCase, fault?: ModelFault, knobs: Pick<InvocationInput, 'retries' | 'stallTimeoutMs' | 'timeoutMs' | 'model'> = {}) {
    runs += 1;
    const apiKey = `key-${c.cli}-${runs}`;
    const conversation = `${c.cli}-${runs}`;
    const workspace = makeWorkspace(c.cli);
    roots.push(workspace.root);
    const target = join(workspace.workdir, 'notes', 'hello.txt');
    emulator.setScript(
      { turns: [{ text: 'Writing the file now.', tool: { kind: 'write-file', path: target, content: CONTENT } }, { text: 'The file is written.' }], usage: TURN_USAGE },
      { apiKey, name: conversation },
    );
    if (fault) emulator.injectFault(fault);
    let run: AgentCliRun;
    try {
      run = await runAgentCli(c.invocation({ clis, workspace, baseUrl, apiKey, prompt: 'Create notes/hello.txt as instructed.', ...knobs }));
    } finally {
      emulator.clearFaults();
    }
    const requests = emulator.requests.filter((r) => r.conversation === conversation);
    const diagnosis = `exit ${run.code}${run.timedOut ? ' (timed out)' : ''}\nstdout:\n${run.stdout.slice(-4_000)}\nstderr:\n${run.stderr.slice(-4_000)}\nrequests:\n${describeRequests(requests, run.spawnedAt)}`;
    return { run, requests, target, diagnosis, turns: emulator.turnRequests(conversation) };
  }

  for (const c of CASES) {
    describe(c.cli, () => {
      it(`runs the scripted write through ${c.tool} and reports the emulator's token counts`, async () => {
        const { run, requests, target, diagnosis, turns } = await play(c);
        expect(run.code, diagnosis).toBe(0);
        expect(existsSync(target) && readFileSync(target, 'utf8'), diagnosis).toBe(CONTENT);
        expect(turns.map((r) => r.turn), diagnosis).toEqual([0, 1]);
        expect(turns[0]!.call?.tool).toBe(c.tool);
        expect(turns[1]!.toolResults?.[0]).toMatchObject({ callId: expect.stringContaining('_0'), isError: false });

        const outcome = c.read(run.stdout, run.stderr);
        expect(outcome.usage, diagnosis).toEqual(c.expectedUsage(turns.length));
        expect(outcome.finalText).toBe('The file is written.');
        expect(outcome.error).toBeUndefined();
        console.info(`[model-api] ${c.cli} ${clis.versions[c.cli]}: first request ${requests[0]!.at - run.spawnedAt} ms after spawn, exit after ${run.durationMs} ms, ${requests.length} requests`);
      }, 180_000);

      it(`recovers from two overloaded answers (${c.overloaded} with retry-after)`, async () => {
        const { run, target, diagnosis, requests } = await play(c, { kind: 'status', status: c.overloaded, retryAfterSeconds: 1, times: 2 });
        expect(run.code, diagnosis).toBe(0);
        expect(readFileSync(target, 'utf8')).toBe(CONTENT);
        expect(requests.filter((r) => r.fault === 'status'), diagnosis).toHaveLength(2);
        console.info(`[model-api] ${c.cli}: two ${c.overloaded}s, then done ${run.durationMs} ms after spawn`);
      }, 180_000);

      // Retries capped at one where the CLI has a knob; OpenCode gives up on its own after about 15 s.
      it(`gives up on an overloaded storm with exit ${c.gaveUp.exit} and says so in its output`, async () => {
        const { run, target, diagnosis, requests } = await play(c, { kind: 'status', status: c.overloaded, retryAfterSeconds: 1 }, { retries: 1 });
        expect(run.code, diagnosis).toBe(c.gaveUp.exit);
        expect(existsSync(target)).toBe(false);
        const outcome = c.read(run.stdout, run.stderr);
        expect(outcome.error, diagnosis).toEqual(expect.any(String));
        expect(outcome.errorStatus).toBe(c.gaveUp.status);
        console.info(`[model-api] ${c.cli}: storm of ${c.overloaded}: gave up after ${requests.length} requests, ${run.durationMs} ms, exit ${run.code}, error ${JSON.stringify(outcome.error)}`);
      }, 180_000);

      it(c.stall.recovers ? `retries a ${c.stall.fault.kind} after its ${STALL_TIMEOUT_MS} ms stall timeout` : `waits on a ${c.stall.fault.kind} until killed`, async () => {
        const knobs = c.stall.recovers ? { stallTimeoutMs: STALL_TIMEOUT_MS } : { timeoutMs: STALL_PATIENCE_MS };
        const { run, target, diagnosis, requests } = await play(c, c.stall.fault, knobs);
        const stalled = requests.filter((r) => r.fault === c.stall.fault.kind);
        expect(stalled, diagnosis).toHaveLength(1);
        if (c.stall.recovers) {
          expect(run.code, diagnosis).toBe(0);
          expect(readFileSync(target, 'utf8')).toBe(CONTENT);
          const retried = requests.find((r) => r.role === 'turn' && r.turn === 0 && r.at > stalled[0]!.at)!;
          expect(retried.at - stalled[0]!.at).toBeGreaterThanOrEqual(STALL_TIMEOUT_MS - 500);
        } else {
          expect(run.timedOut, diagnosis).toBe(true);
          expect(existsSync(target)).toBe(false);
        }
        console.info(`[model-api] ${c.cli}: ${c.stall.fault.kind}: ${c.stall.recovers ? `recovered, done after ${run.durationMs} ms` : `still waiting after ${run.durationMs} ms`}`);
      }, 180_000);
    });
  }

  // Codex 0.171 has no metadata for the runtime table's gpt-5.1-codex: it warns and offers exec_command instead of apply_patch.
  it('codex with a model it has no metadata for writes the file through its shell tool', async () => {
    const codex = CASES.find((c) => c.cli === 'codex')!;
    const { run, target, diagnosis, turns } = await play(codex, undefined, { model: 'gpt-5.1-codex' });
    expect(run.code, diagnosis).toBe(0);
    expect(readFileSync(target, 'utf8')).toBe(CONTENT);
    expect(turns[0]!.call?.tool).toBe('exec_command');
    expect(run.stdout).toContain('Model metadata for `gpt-5.1-codex` not found');
  }, 180_000);
});

function describeRequests(requests: ModelApiRequest[], spawnedAt: number): string {
  return requests
    .map((r) => `+${r.at - spawnedAt}ms ${r.method} ${r.path} ${r.role}${r.turn === undefined ? '' : ` turn ${r.turn}`} → ${r.outcome}${r.fault ? ` [${r.fault}]` : ''}${r.planError ? ` (${r.planError})` : ''}`)
    .join('\n');
}
