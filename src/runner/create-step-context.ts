import { RUNNER_ENV, type JobSpec, type StepEvent } from '../domain/runner-protocol.js';
import type { CloudCredentials } from './cloud-credentials.js';
import type { GitHubTokenSource } from './github-token-source.js';
import { runCommand, type RunCommandOptions } from './run-command.js';
import { recordAgentCall } from './record-agent-call.js';
import type { RunnerLog } from './runner-log.js';
import { StepLogBuffer } from './runner-log.js';
import { runAgentStep, type AgentRetryPolicy } from './run-agent-step.js';
import { readAgentGuidance } from './runtimes/read-agent-guidance.js';
import type { AgentRuntime } from './runtimes/agent-runtime.js';
import type { RunState, StepContext } from './step-types.js';

/** Credentials of the runner itself; the agent and the repository's scripts never see them. */
const RUNNER_ONLY_ENV = [
  RUNNER_ENV.progressToken,
  RUNNER_ENV.resultToken,
  'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
  'ACTIONS_ID_TOKEN_REQUEST_URL',
  'ACTIONS_RUNTIME_TOKEN',
  'GITHUB_TOKEN',
  'GH_TOKEN',
];

/** The environment for the agent and repository commands: the runner's, minus its credentials, plus the mapping's env. */
export function commandEnv(baseEnv: NodeJS.ProcessEnv, job: JobSpec): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...baseEnv };
  for (const name of RUNNER_ONLY_ENV) delete env[name];
  return { ...env, ...job.env };
}

/**
 * git gets the installation token through GIT_CONFIG_* variables: it is not in
 * argv (visible in `ps`), not in the remote URL (printed by git on errors),
 * and not written to .git/config where the agent could read it.
 */
export function gitEnv(env: NodeJS.ProcessEnv, token: string, log: RunnerLog): NodeJS.ProcessEnv {
  const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
  log.addSecret(basic);
  return {
    ...env,
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: env.GIT_AUTHOR_NAME ?? 'AI-Implement',
    GIT_AUTHOR_EMAIL: env.GIT_AUTHOR_EMAIL ?? 'ai-implement[bot]@users.noreply.github.com',
    GIT_COMMITTER_NAME: env.GIT_COMMITTER_NAME ?? 'AI-Implement',
    GIT_COMMITTER_EMAIL: env.GIT_COMMITTER_EMAIL ?? 'ai-implement[bot]@users.noreply.github.com',
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.extraheader',
    GIT_CONFIG_VALUE_0: `AUTHORIZATION: basic ${basic}`,
  };
}

export interface StepContextDeps {
  job: JobSpec;
  workdir: string;
  repoDir: string;
  state: RunState;
  log: RunnerLog;
  /** Every runtime a job may name: its own, and its fallback. */
  runtimes: ReadonlyMap<string, AgentRuntime>;
  /** How an overloaded or stalled agent is retried (the default waits 30 s, then 60 s). */
  agentRetry?: AgentRetryPolicy;
  baseEnv: NodeJS.ProcessEnv;
  now: () => Date;
  report: (event: StepEvent) => Promise<void>;
  /** The GitHub token, refreshed before it expires: read at each git or API call, never once per step. */
  githubToken: GitHubTokenSource;
  /** Keyless cloud credentials (an assumed AWS role, a Google workload identity) for the agent only, renewed per pass. */
  cloudCredentials?: CloudCredentials;
}

/** One context per step: its own log buffer and `with:` options, shared job, state and collaborators. */
export function createStepContext(deps: StepContextDeps, stepId: string, options: Record<string, unknown>): StepContext {
  const { job, state, log } = deps;
  const buffer = new StepLogBuffer(log);
  const env = commandEnv(deps.baseEnv, job);
  const exec = (command: string, args: string[], extra: Partial<RunCommandOptions> = {}) =>
    runCommand(command, args, {
      cwd: extra.cwd ?? deps.repoDir,
      env: { ...env, ...extra.env },
      onOutput: (chunk) => buffer.output(chunk),
      ...(extra.timeoutMs !== undefined ? { timeoutMs: extra.timeoutMs } : {}),
      ...(extra.stdin !== undefined ? { stdin: extra.stdin } : {}),
    });
  return {
    job,
    workdir: deps.workdir,
    repoDir: deps.repoDir,
    with: options,
    log: buffer,
    state,
    exec,
    git: async (args, extra = {}) => {
      buffer.line(`$ git ${args.join(' ')}`);
      // Built per call: a step that runs for an hour (an agent, a feedback loop) must not push with the token it started with.
      const withGit = gitEnv(env, await deps.githubToken.current(), log);
      return exec('git', args, { ...extra, env: { ...withGit, ...extra.env } });
    },
    githubToken: () => deps.githubToken.current(),
    async runAgent(request) {
      const guidance = await readAgentGuidance(deps.repoDir, job.phase);
      if (guidance.warning) log.warn(guidance.warning);
      const untilDeadline = Date.parse(job.deadlineAt) - deps.now().getTime();
      const timeoutMs = Math.max(1_000, Math.min(job.agent.maxJobMinutes * 60_000, untilDeadline));
      state.firstModelRequestAt ??= deps.now().toISOString();
      const result = await runAgentStep(
        {
          job,
          repoDir: deps.repoDir,
          // Only the agent gets the cloud credentials; the repository's own scripts do not need the model's account.
          env: deps.cloudCredentials ? { ...env, ...(await deps.cloudCredentials.agentEnv(timeoutMs)) } : env,
          runtimes: deps.runtimes,
          workflowModel: guidance.model,
          timeoutMs,
          ...(deps.agentRetry ? { retry: deps.agentRetry } : {}),
          line: (text) => buffer.line(text),
          onOutput: (chunk) => buffer.output(chunk),
        },
        request,
      );
      if (result.timedOut) buffer.line(`agent killed after ${Math.round(timeoutMs / 1000)}s`);
      if (result.stalled) buffer.line('agent stopped: no output and no change in the work tree');
      recordAgentCall(state, result, stepId);
      return result;
    },
    report: (event) => deps.report({ ...event, parentId: stepId }),
    now: deps.now,
  };
}
