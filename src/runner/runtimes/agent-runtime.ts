import type { TokenUsage } from '../../domain/run.js';
import type { JobSpec } from '../../domain/runner-protocol.js';
import { runCommand } from '../run-command.js';

export type AgentMode = 'plan' | 'edit' | 'review';

export interface AgentInvocation {
  prompt: string;
  mode: AgentMode;
  cwd: string;
  /** From the repository's WORKFLOW.md / PLANNING.md front matter, passed through verbatim. */
  model?: string;
  maxTurns: number;
  /** The agent process is killed after this long (maxJobMinutes, capped by the run deadline). */
  timeoutMs: number;
  /** Environment for the agent: the job's extra env over the runner's, minus runner credentials. */
  env: NodeJS.ProcessEnv;
  job: JobSpec;
  onOutput: (chunk: string) => void;
}

export interface AgentResult {
  exitCode: number | null;
  timedOut: boolean;
  /** What the agent said last (the plan, the review); raw stdout when the CLI has no structured output. */
  text: string;
  /** The cost the CLI reported; when it reports none, the step context prices the tokens (model-prices). */
  costUsd?: number;
  /** Tokens used, cache reads and writes apart. */
  tokens?: TokenUsage;
  /** The model the CLI says it used. */
  model?: string;
  /** The CLI's own reason when it failed (its error event or last stderr lines), raw: redact before posting. */
  errorText?: string;
}

export interface AgentRuntime {
  readonly id: string;
  run(invocation: AgentInvocation): Promise<AgentResult>;
}

export class UnknownRuntimeError extends Error {
  override readonly name = 'UnknownRuntimeError';
  constructor(
    readonly runtime: string,
    readonly known: readonly string[],
  ) {
    super(`unknown agent runtime "${runtime}"; known runtimes: ${known.join(', ')}`);
  }
}

export class MissingCredentialsError extends Error {
  override readonly name = 'MissingCredentialsError';
}

/** How a CLI agent is invoked: the command line, extra env, and an optional reader for structured output. */
export interface CliRuntimeSpec {
  id: string;
  command: string;
  args(invocation: AgentInvocation): string[];
  env?(invocation: AgentInvocation): Record<string, string>;
  /** Throws MissingCredentialsError naming what to set, before anything is spawned. */
  checkCredentials?(invocation: AgentInvocation): void;
  parse?(stdout: string): Partial<Pick<AgentResult, 'text' | 'costUsd' | 'tokens'>>;
}

/** Builds a runtime from a CLI description; all CLI agents share spawning, timeouts and output capture. */
export function cliRuntime(spec: CliRuntimeSpec): AgentRuntime {
  return {
    id: spec.id,
    async run(invocation) {
      spec.checkCredentials?.(invocation);
      const result = await runCommand(spec.command, spec.args(invocation), {
        cwd: invocation.cwd,
        env: { ...invocation.env, ...(spec.env?.(invocation) ?? {}) },
        timeoutMs: invocation.timeoutMs,
        onOutput: invocation.onOutput,
      });
      const parsed = spec.parse?.(result.stdout) ?? {};
      return { exitCode: result.exitCode, timedOut: result.timedOut, text: result.stdout.trim(), ...parsed };
    },
  };
}

export function requireAnyEnv(invocation: AgentInvocation, names: string[], runtime: string): void {
  if (names.some((name) => (invocation.env[name] ?? '') !== '')) return;
  throw new MissingCredentialsError(`${runtime} needs one of ${names.join(', ')} in the mapping's env or the runner's environment`);
}
