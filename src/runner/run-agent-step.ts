import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelProvider } from '../domain/mapping.js';
import type { JobSpec } from '../domain/runner-protocol.js';
import { ConfigError } from '../errors/index.js';
import { runCommand } from './run-command.js';
import { AgentRefusal, UnknownRuntimeError, type AgentMode, type AgentResult, type AgentRuntime } from './runtimes/agent-runtime.js';
import { resolveModel } from './runtimes/resolve-model.js';
import { workTreeFingerprint } from './runtimes/work-tree-progress.js';

/** How an overloaded or stalled agent is tried again before the step goes to the fallback runtime. */
export interface AgentRetryPolicy {
  /** Tries of one runtime after the first (default 2). */
  retries: number;
  /** Pause before the first retry; doubles each time, capped (default 30 s, at most 5 min). */
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_AGENT_RETRY: AgentRetryPolicy = { retries: 2, baseMs: 30_000, maxMs: 5 * 60_000 };

/**
 * `AI_IMPLEMENT_AGENT_RETRY_MS` (the runner's environment, or the project's env in the job): the first pause
 * before an overloaded or stalled agent is tried again, doubling, at most ten times that.
 */
export function agentRetryFrom(env: Record<string, string | undefined>): AgentRetryPolicy | undefined {
  const baseMs = wholeMs(env, 'AI_IMPLEMENT_AGENT_RETRY_MS');
  return baseMs === undefined ? undefined : { ...DEFAULT_AGENT_RETRY, baseMs, maxMs: baseMs * 10 };
}

/** `AI_IMPLEMENT_AGENT_STALL_MS`: a stall limit finer than the mapping's minutes (tests, impatient projects). */
export function agentStallFrom(env: Record<string, string | undefined>): number | undefined {
  return wholeMs(env, 'AI_IMPLEMENT_AGENT_STALL_MS');
}

function wholeMs(env: Record<string, string | undefined>, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 0) throw new ConfigError(`${name} must be a whole number of milliseconds, not "${raw}"`);
  return ms;
}

export interface AgentStepDeps {
  job: JobSpec;
  repoDir: string;
  env: NodeJS.ProcessEnv;
  runtimes: ReadonlyMap<string, AgentRuntime>;
  /** `model:` of the repository's WORKFLOW.md / PLANNING.md, if any. */
  workflowModel: string | undefined;
  timeoutMs: number;
  retry?: AgentRetryPolicy;
  sleep?: (ms: number) => Promise<void>;
  line: (text: string) => void;
  onOutput: (chunk: string) => void;
}

/** What the step got, and who got it: the runtime that finished the work, its model, and those that gave up first. */
export interface AgentStepResult extends AgentResult {
  runtime: string;
  model: string;
  provider: ModelProvider;
  fallbackFrom: string[];
  /** The agent never started: the refusal, as posted on the ticket. */
  refused?: string;
}

/**
 * Runs one agent pass: the job's runtime first; an overloaded vendor or a
 * stalled agent is stopped and tried again with capped back-off, then, when
 * the mapping names a fallback runtime, the pass is handed to it. Each try
 * gets a home of its own, removed afterwards. A read-only pass (plan, review)
 * that changed the work tree is undone and failed.
 */
export async function runAgentStep(deps: AgentStepDeps, request: { prompt: string; mode: AgentMode }): Promise<AgentStepResult> {
  const { job } = deps;
  const chain = [job.agent.runtime, ...(job.agent.fallbackRuntime && job.agent.fallbackRuntime !== job.agent.runtime ? [job.agent.fallbackRuntime] : [])];
  const policy = deps.retry ?? agentRetryFrom(job.env) ?? DEFAULT_AGENT_RETRY;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const fallbackFrom: string[] = [];
  let last: AgentStepResult | undefined;
  for (const [index, runtimeId] of chain.entries()) {
    const runtime = deps.runtimes.get(runtimeId);
    if (!runtime) throw new UnknownRuntimeError(runtimeId, [...deps.runtimes.keys()]);
    // The project's provider for its own runtime (one it cannot use is refused); a fallback to another vendor's CLI uses that CLI's.
    const provider = index === 0 ? job.agent.provider : providerFor(runtime, job.agent.provider);
    const resolved = resolveModel(runtimeId, provider, { ...(deps.workflowModel ? { workflow: deps.workflowModel } : {}), ...(job.agent.models?.[runtimeId] ? { mapping: job.agent.models[runtimeId] } : {}) });
    if (resolved.warning) deps.line(`warning: ${resolved.warning}`);
    for (let attempt = 0; attempt <= policy.retries; attempt++) {
      deps.line(`agent ${runtimeId} (${request.mode}, ${provider}, model ${resolved.model} from ${resolved.source}, max ${job.agent.maxTurns} turns${attempt > 0 ? `, try ${attempt + 1}` : ''})`);
      const tried = await tryOnce(deps, runtime, { ...request, provider, model: resolved.model });
      last = { ...tried, runtime: runtimeId, model: tried.model ?? resolved.model, provider, fallbackFrom: [...fallbackFrom] };
      if (tried.refused !== undefined || !(tried.overloaded || tried.stalled)) break;
      if (attempt === policy.retries) break;
      const wait = Math.min(policy.maxMs, policy.baseMs * 2 ** attempt);
      deps.line(`${runtimeId} ${tried.stalled ? 'stalled' : 'is overloaded'}; trying again in ${Math.round(wait / 1000)} s`);
      await sleep(wait);
    }
    const done = last && last.refused === undefined && last.exitCode === 0 && !last.timedOut && !last.stalled;
    const handOver = last && (last.overloaded || last.stalled || last.refused !== undefined) && index < chain.length - 1;
    if (done || !handOver) return last as AgentStepResult;
    deps.line(`handing the pass to the fallback runtime ${chain[index + 1]} after ${runtimeId} ${last?.refused !== undefined ? 'could not start' : last?.stalled ? 'stalled' : 'stayed overloaded'}`);
    fallbackFrom.push(runtimeId);
  }
  return last as AgentStepResult;
}

/** The job's provider when the runtime can use it, else the runtime's first (a fallback to another vendor's CLI). */
function providerFor(runtime: AgentRuntime, wanted: ModelProvider): ModelProvider {
  const providers = runtime.spec.providers.map((p) => p.provider);
  return providers.length === 0 || providers.includes(wanted) ? wanted : (providers[0] as ModelProvider);
}

async function tryOnce(deps: AgentStepDeps, runtime: AgentRuntime, request: { prompt: string; mode: AgentMode; provider: ModelProvider; model: string }): Promise<AgentResult & { refused?: string }> {
  const home = await mkdtemp(join(tmpdir(), 'ai-implement-agent-'));
  const readOnly = request.mode !== 'edit';
  const before = readOnly ? await workTreeFingerprint(deps.repoDir) : undefined;
  try {
    const result = await runtime.run({
      prompt: request.prompt,
      mode: request.mode,
      cwd: deps.repoDir,
      model: request.model,
      provider: request.provider,
      maxTurns: deps.job.agent.maxTurns,
      timeoutMs: deps.timeoutMs,
      ...stallOf(deps.job),
      env: deps.env,
      home,
      job: deps.job,
      onOutput: deps.onOutput,
    });
    if (before !== undefined && (await workTreeFingerprint(deps.repoDir)) !== before) {
      await restoreWorkTree(deps.repoDir);
      return { ...result, exitCode: result.exitCode === 0 ? 1 : result.exitCode, errorText: `the agent changed files during a read-only ${request.mode} pass; the changes were undone` };
    }
    return result;
  } catch (error) {
    if (error instanceof AgentRefusal) {
      deps.line(`refused: ${error.message}`);
      return { exitCode: null, timedOut: false, text: '', errorText: error.message, refused: error.message };
    }
    throw error;
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/** The project's env (`AI_IMPLEMENT_AGENT_STALL_MS`) over the mapping's minutes. */
function stallOf(job: JobSpec): { stallMs?: number } {
  const stallMs = agentStallFrom(job.env) ?? job.agent.stallMs;
  return stallMs ? { stallMs } : {};
}

/** Back to the commit: a read-only pass leaves nothing behind. */
async function restoreWorkTree(repoDir: string): Promise<void> {
  const env = { ...process.env, GIT_TERMINAL_PROMPT: '0' };
  await runCommand('git', ['reset', '--hard', '--quiet'], { cwd: repoDir, env, timeoutMs: 60_000 });
  await runCommand('git', ['clean', '-fdq'], { cwd: repoDir, env, timeoutMs: 60_000 });
}

/**
 * One line for the step summary when a pass failed. The CLI's own reason is
 * not repeated here: the result adds it under the summary (run-job's
 * failureReasonOf), cleaned and cut; a refusal is its own summary.
 */
export function describeAgentFailure(result: AgentStepResult, doing: string): string {
  if (result.refused !== undefined) return result.refused;
  const who = `${result.runtime}${result.fallbackFrom.length > 0 ? ` (after ${result.fallbackFrom.join(', ')})` : ''}`;
  if (result.timedOut) return `${who} ran out of time while ${doing}`;
  if (result.stalled) return `${who} stopped making progress while ${doing} (no output and no change in the work tree)`;
  return `${who} failed while ${doing} (exit ${result.exitCode ?? 'none'})`;
}
