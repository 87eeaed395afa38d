import type { RunAgent, TokenUsage } from '../domain/run.js';
import type { JobSpec, StepEvent } from '../domain/runner-protocol.js';
import type { CommandResult, RunCommandOptions } from './run-command.js';
import type { StepLogBuffer } from './runner-log.js';
import type { AgentStepResult } from './run-agent-step.js';
import type { AgentMode } from './runtimes/agent-runtime.js';

export type StepOutcome = 'passed' | 'failed' | 'skipped';

/** What a step returns; `output` is JSON that travels in the progress report. */
export interface StepResult {
  status: StepOutcome;
  output?: unknown;
  /** One line for the run summary (and the failure reason when the step failed). */
  summary?: string;
}

export interface VerifyFailure {
  command: string;
  exitCode: number | null;
  /** Tail of the command's output, for the agent and for the panel. */
  outputTail: string;
}

/**
 * What steps hand to each other. Kept as one plain object so a custom step can
 * read what built-ins produced (the plan text, the PR) without new plumbing.
 */
export interface RunState {
  plan?: string;
  pr?: { url: string; number: number };
  /** Commit the work started from (after clone), to count and diff what the run added. */
  startSha?: string;
  /** The work branch's sha on the remote when cloned (empty when new): the lease for force-with-lease. */
  remoteHead?: string;
  /** Set once the work branch is on the remote. */
  pushed?: boolean;
  /** Commits made on the work branch during this run. */
  commits: number;
  verifyFailures: VerifyFailure[];
  /** The commands verify ran, so the feedback loop can re-run exactly those. */
  verifyCommands: Array<{ label: string; command: string; args: string[] }>;
  /** Summed over the run's agent calls (agent-usage.ts); absent while unknown. */
  costUsd?: number;
  tokens?: TokenUsage;
  /** A call's tokens could not be priced, so the run's cost is unknown (see addAgentUsage). */
  costUnknown?: boolean;
  /** When the first agent call of the run started (the CLI's first model request follows at once). */
  firstModelRequestAt?: string;
  /**
   * The agent that made the latest call (its runtime, model and provider, and
   * the runtimes that gave up before it): it goes into the result as the one
   * that did the work. Runtimes with a fallback set `fallbackFrom`.
   */
  agent?: RunAgent;
  /** The CLI's own failure reason from the latest agent call of `step`, raw (run-job redacts and cuts it). */
  agentError?: { step: string; text: string };
  summaries: string[];
  outputs: Record<string, unknown>;
}

export interface AgentRequest {
  prompt: string;
  /** `plan` and `review` must not edit files; runtimes pass their read-only flags when they have one. */
  mode: AgentMode;
}

export interface StepContext {
  readonly job: JobSpec;
  /** Scratch directory owned by this job. */
  readonly workdir: string;
  /** Where `clone` puts the repository; later steps run inside it. */
  readonly repoDir: string;
  /** The pipeline entry's `with:` options. */
  readonly with: Readonly<Record<string, unknown>>;
  /** This step's log: every line reaches the job log, and the tail goes into the progress report. */
  readonly log: StepLogBuffer;
  readonly state: RunState;
  /** Runs a command in the repository (by default) with its output captured into the step log. */
  exec(command: string, args: string[], options?: Partial<RunCommandOptions>): Promise<CommandResult>;
  /** Runs git with the installation token supplied out of band (never in argv or in remote URLs), refreshed when it nears expiry. */
  git(args: string[], options?: Partial<RunCommandOptions>): Promise<CommandResult>;
  /**
   * The installation token for a GitHub API call, fresh enough for it: ask
   * right before each call rather than keeping one (it lives an hour; runs
   * can last two). Rejects with the reason when no usable token can be had.
   */
  githubToken(): Promise<string>;
  /** Runs the job's agent runtime in the repository, with model, turns and time limits applied. */
  runAgent(request: AgentRequest): Promise<AgentStepResult>;
  /** Reports a sub-step (a feedback iteration, say); `parentId` is filled in. */
  report(event: Omit<StepEvent, 'parentId'>): Promise<void>;
  /** The runner's clock: times a step reports come from it, so a test's clock governs them too. */
  now(): Date;
}

/** The contract of a step module: built-ins in src/runner/steps/, overrides in custom/steps/<id>.ts|js (default export). */
export interface StepModule {
  title?: string;
  run(ctx: StepContext): Promise<StepResult>;
}

export function createRunState(): RunState {
  return { commits: 0, verifyFailures: [], verifyCommands: [], summaries: [], outputs: {} };
}
