import { join } from 'node:path';
import { RUNNER_ENV, type GitHubTokenGrant, type JobSpec, type ProgressBody, type ResultBody, type StepEvent } from '../domain/runner-protocol.js';
import { cutText, sanitizeAgentText, type Redactor } from '../domain/sanitize-agent-text.js';
import { resolveCloudCredentials, type CloudCredentials } from './cloud-credentials.js';
import { commandEnv, createStepContext } from './create-step-context.js';
import { createGitHubTokenSource } from './github-token-source.js';
import type { AgentRetryPolicy } from './run-agent-step.js';
import { loadPipeline, type LoadedPipeline } from './load-pipeline.js';
import { loadStepModules, type LoadedStep } from './load-step-modules.js';
import { conditionFacts, evaluateCondition } from './pipeline-schema.js';
import type { RunnerLog } from './runner-log.js';
import type { RunnerRoots } from './runner-roots.js';
import { AGENT_RUNTIMES, resolveAgentRuntime, type AgentRuntime } from './runtimes/index.js';
import { createRunState, type RunState, type StepResult } from './step-types.js';

/** The orchestrator calls a job makes; OrchestratorClient implements it over HTTP. */
export interface JobChannel {
  getJob(): Promise<JobSpec>;
  postProgress(body: ProgressBody): Promise<boolean>;
  postResult(body: ResultBody): Promise<void>;
  /** A fresh GitHub token for the run's repository; a channel without it (a test's) leaves the job's token as it is. */
  refreshGitHubToken?(run: { runId: string; attempt: number }): Promise<GitHubTokenGrant>;
  /** The run's secrets from the broker; asked only when `secretsFromBroker` says the job has no other way to get them. */
  getSecrets?(): Promise<Record<string, string>>;
}

export interface RunJobOptions {
  channel: JobChannel;
  roots: RunnerRoots;
  workdir: string;
  log: RunnerLog;
  baseEnv: NodeJS.ProcessEnv;
  runtimes?: ReadonlyMap<string, AgentRuntime>;
  /** How an overloaded or stalled agent is retried; the CLI reads it from the environment for tests. */
  agentRetry?: AgentRetryPolicy;
  /** The clock for step times, the deadline check and the GitHub token's expiry; the CLI's main passes the real one. */
  now: () => Date;
  /**
   * True on GitHub Actions: the job's secrets come from `GET /runner/secrets`.
   * Elsewhere they are in `baseEnv` already, named by `AI_IMPLEMENT_SECRET_NAMES`.
   */
  secretsFromBroker?: boolean;
}

/** Values of the variables the orchestrator says are secrets: the log learns them before any step prints anything. */
function secretsInEnv(env: NodeJS.ProcessEnv): string[] {
  const names = (env[RUNNER_ENV.secretNames] ?? '').split(',').map((n) => n.trim()).filter(Boolean);
  return names.map((name) => env[name]).filter((value): value is string => typeof value === 'string' && value !== '');
}

const cap = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
/** Long text is cut with a visible note ("… cut: N more characters"), leaving room for the note under the schema's cap. */
const cutTo = (text: string, max: number): string => cutText(text, { maxChars: max - 64 });

/** The CLI's own reason is worth a few lines under the step's summary, its end first: that is where CLIs say why. */
const AGENT_ERROR_LIMITS = { maxLines: 20, maxChars: 2_000, keep: 'tail' } as const;

/**
 * The failure as posted: the step's summary, then the agent CLI's own reason
 * when the failing step's last agent call gave one (cleaned and cut here,
 * redacted with the rest of the result).
 */
export function failureReasonOf(failure: { step: string; reason: string }, state: RunState, redact: Redactor): string {
  const error = state.agentError;
  if (!error || error.step !== failure.step) return failure.reason;
  const text = sanitizeAgentText(error.text, { ...AGENT_ERROR_LIMITS, redact });
  return text === '' ? failure.reason : `${failure.reason}\n${text}`;
}

/** The agent as the result schema takes it (its length limits), from what the runtime set on the state. */
function agentOf(state: RunState): ResultBody['agent'] {
  const agent = state.agent;
  if (!agent) return undefined;
  const fallbackFrom = agent.fallbackFrom?.slice(0, 10).map((r) => cap(r, 40));
  return {
    runtime: cap(agent.runtime, 40),
    ...(agent.model ? { model: cap(agent.model, 200) } : {}),
    ...(agent.provider ? { provider: cap(agent.provider, 40) } : {}),
    ...(fallbackFrom && fallbackFrom.length > 0 ? { fallbackFrom } : {}),
  };
}

/** The usage so far and the first model request's time, for each progress report (spend limits are checked on them). */
export function usageOf(state: RunState): Pick<ProgressBody, 'usage' | 'firstModelRequestAt'> {
  const known = state.costUsd !== undefined && !state.costUnknown;
  const usage = known || state.tokens ? { usage: { ...(known ? { costUsd: state.costUsd } : {}), ...(state.tokens ? { tokens: state.tokens } : {}) } } : {};
  return { ...usage, ...(state.firstModelRequestAt ? { firstModelRequestAt: state.firstModelRequestAt } : {}) };
}

/** The result body; every text is scrubbed of the job's secrets here too, before it leaves the job. */
export function buildResult(job: JobSpec, state: RunState, redact: Redactor, failure?: { step: string; reason: string }): ResultBody {
  const agent = agentOf(state);
  return {
    runId: job.runId,
    attempt: job.attempt,
    outcome: failure ? 'failed' : 'succeeded',
    ...(state.pr ? { prUrl: state.pr.url, prNumber: state.pr.number } : {}),
    ...(state.pushed ? { branch: job.repo.branch } : {}),
    ...(state.summaries.length > 0 ? { summary: cutTo(redact(state.summaries.join('\n')), 20_000) } : {}),
    ...(state.plan !== undefined ? { plan: cutTo(redact(state.plan), 60_000) } : {}),
    ...(failure ? { failureReason: cutTo(redact(failureReasonOf(failure, state, redact)), 4_000), failedStep: cap(failure.step, 200) } : {}),
    ...(state.costUsd !== undefined && !state.costUnknown ? { costUsd: state.costUsd } : {}),
    ...(state.tokens ? { tokens: state.tokens } : {}),
    ...(agent ? { agent } : {}),
  };
}

/**
 * Runs one job end to end: fetch the spec, load the pipeline, run each step
 * with a progress report before and after, then post exactly one result.
 * A step that fails stops the pipeline (unless it has continueOnError); the
 * steps after it are reported as skipped so the checklist ends complete.
 */
export async function runJob(options: RunJobOptions): Promise<ResultBody> {
  const { channel, log, now } = options;
  for (const value of secretsInEnv(options.baseEnv)) log.addSecret(value);
  const job = await channel.getJob();
  for (const value of Object.values(job.env)) log.addSecret(value);
  const refresh = channel.refreshGitHubToken?.bind(channel);
  const githubToken = createGitHubTokenSource({
    token: job.github.token,
    ...(job.github.tokenExpiresAt ? { expiresAt: job.github.tokenExpiresAt } : {}),
    ...(refresh ? { refresh: () => refresh({ runId: job.runId, attempt: job.attempt }) } : {}),
    now,
    log,
    // The spec stays current, so a custom step reading ctx.job.github.token gets the newest token too.
    onRefresh: (grant) => {
      job.github.token = grant.token;
      job.github.tokenExpiresAt = grant.expiresAt;
    },
  });
  log.info('job received', { runId: job.runId, attempt: job.attempt, phase: job.phase, pipeline: job.pipeline, shadow: job.shadow });
  const state = createRunState();
  const runtimes = options.runtimes ?? AGENT_RUNTIMES;
  const progress = (body: Omit<ProgressBody, 'runId' | 'attempt'>) => channel.postProgress({ runId: job.runId, attempt: job.attempt, ...body, ...usageOf(state) });
  let cloudCredentials: CloudCredentials | undefined;
  const finish = async (failure?: { step: string; reason: string }): Promise<ResultBody> => {
    cloudCredentials?.stop();
    const result = buildResult(job, state, log.redact, failure);
    await channel.postResult(result);
    log.info('result posted', { outcome: result.outcome, ...(failure ? { failedStep: failure.step } : {}) });
    return result;
  };

  let steps: Map<string, LoadedStep>;
  let loaded: LoadedPipeline;
  try {
    // An unknown runtime (or fallback) fails the job before any step runs.
    for (const id of [job.agent.runtime, job.agent.fallbackRuntime]) if (id) resolveAgentRuntime(id, runtimes);
    if (options.secretsFromBroker && channel.getSecrets) {
      const secrets = await channel.getSecrets();
      for (const value of Object.values(secrets)) log.addSecret(value);
      // In memory only: the agent's and the repository's commands get them through their environment.
      job.env = { ...job.env, ...secrets };
      log.info('secrets received', { names: Object.keys(secrets).sort() });
    }
    steps = await loadStepModules(options.roots, log);
    loaded = await loadPipeline(job.pipeline, options.roots, new Set(steps.keys()), log);
    cloudCredentials = await resolveCloudCredentials({ job, baseEnv: options.baseEnv, agentEnv: commandEnv(options.baseEnv, job), workdir: options.workdir, log, now });
  } catch (error) {
    log.error('job setup failed', { reason: (error as Error).message });
    return finish({ step: 'setup', reason: (error as Error).message });
  }
  log.info('pipeline loaded', { pipeline: loaded.name, status: loaded.status, path: loaded.path });

  const entries = loaded.pipeline.steps;
  await progress({
    plannedSteps: entries.map((entry) => {
      const title = entry.title ?? steps.get(entry.uses)?.module.title;
      return { id: entry.id, type: entry.uses, ...(title ? { title } : {}) };
    }),
    steps: [],
  });
  const report = (event: StepEvent) => progress({ steps: [event] }).then(() => undefined);
  const deps = { job, workdir: options.workdir, repoDir: join(options.workdir, 'repo'), state, log, runtimes, ...(options.agentRetry ? { agentRetry: options.agentRetry } : {}), baseEnv: options.baseEnv, now, report, githubToken, ...(cloudCredentials ? { cloudCredentials } : {}) };

  let failure: { step: string; reason: string } | undefined;
  for (const entry of entries) {
    const base = { id: entry.id, type: entry.uses };
    if (failure) {
      await report({ ...base, status: 'skipped', output: { reason: `after ${failure.step} failed` } });
      continue;
    }
    if (!evaluateCondition(entry.if, conditionFacts(job, state))) {
      await report({ ...base, status: 'skipped', output: { reason: `if: ${entry.if}` } });
      continue;
    }
    const startedAt = now().toISOString();
    if (now().getTime() > Date.parse(job.deadlineAt)) {
      failure = { step: entry.id, reason: `run deadline ${job.deadlineAt} passed before ${entry.id}` };
      await report({ ...base, status: 'failed', startedAt, finishedAt: startedAt, logExcerpt: failure.reason });
      continue;
    }
    await report({ ...base, status: 'running', startedAt });
    log.info('step started', { step: entry.id, uses: entry.uses });
    const ctx = createStepContext(deps, entry.id, entry.with ?? {});
    let result: StepResult;
    try {
      result = await steps.get(entry.uses)!.module.run(ctx);
    } catch (error) {
      const message = (error as Error).message ?? String(error);
      ctx.log.line(`step threw: ${message}`);
      result = { status: 'failed', summary: message };
    }
    const status = result.status === 'passed' || result.status === 'skipped' || result.status === 'failed' ? result.status : 'failed';
    if (result.summary && status === 'passed') state.summaries.push(result.summary);
    if (result.output !== undefined) state.outputs[entry.id] = result.output;
    await report({
      ...base,
      status,
      startedAt,
      finishedAt: now().toISOString(),
      ...(result.output !== undefined ? { output: result.output } : {}),
      logExcerpt: ctx.log.tail(),
    });
    log.info('step finished', { step: entry.id, status, ...(result.summary ? { summary: result.summary } : {}) });
    if (status === 'failed' && !entry.continueOnError) failure = { step: entry.id, reason: result.summary ?? `${entry.id} failed` };
  }
  return finish(failure);
}
