import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ModelProvider } from '../../domain/mapping.js';
import type { TokenUsage } from '../../domain/run.js';
import type { JobSpec } from '../../domain/runner-protocol.js';
import { runCommand, type CommandResult } from '../run-command.js';
import { checkRuntime } from './check-runtime.js';
import { runtimeSpecOf, type RuntimeSpec } from './runtime-table.js';
import { workTreeProgress } from './work-tree-progress.js';

export type AgentMode = 'plan' | 'edit' | 'review';

export interface AgentInvocation {
  prompt: string;
  mode: AgentMode;
  cwd: string;
  /** Resolved for this runtime: the repository's WORKFLOW.md, else the mapping's model for the runtime, else the vendor's default. */
  model: string;
  provider: ModelProvider;
  maxTurns: number;
  /** The agent process is killed after this long (maxJobMinutes, capped by the run deadline). */
  timeoutMs: number;
  /** No output and no change in the work tree for this long: the agent is stopped (`stalled`). */
  stallMs?: number;
  /** Environment for the agent: the job's extra env over the runner's, minus runner credentials. */
  env: NodeJS.ProcessEnv;
  /** A directory of this run's own (HOME and every config dir the CLI reads), removed afterwards; never the operator's. */
  home: string;
  job: JobSpec;
  onOutput: (chunk: string) => void;
}

export interface AgentResult {
  exitCode: number | null;
  timedOut: boolean;
  /** Stopped for making no progress (no output, no change in the work tree). */
  stalled?: boolean;
  /** The vendor kept answering overloaded or rate limited (HTTP 529, 503, 429) after the CLI's own retries. */
  overloaded?: boolean;
  /** What the agent said last (the plan, the review), from its structured output. */
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
  readonly spec: RuntimeSpec;
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

/**
 * The agent cannot start: its CLI is not installed, the provider is one it
 * cannot use, or credentials are missing. The message names what is missing
 * and how to fix it; it is posted on the ticket as it is.
 */
export class AgentRefusal extends Error {
  override readonly name = 'AgentRefusal';
}

/** What a CLI's structured output says, read by its adapter. */
export type ParsedAgentOutput = Partial<Pick<AgentResult, 'text' | 'costUsd' | 'tokens' | 'model' | 'errorText' | 'overloaded'>> & {
  /** The CLI exited 0 but reports that the run failed (an error event, a failed turn). */
  failed?: boolean;
  /**
   * A tool call failed although the CLI exited 0 (a rejected write, an invalid call): an edit that did not
   * happen fails an edit pass; in a read-only pass a refused write is the point.
   */
  toolFailed?: string;
};

/** How one CLI is driven headless: its command line, environment and config files, and how to read its output. */
export interface CliAdapter {
  id: string;
  args(invocation: AgentInvocation): string[];
  env?(invocation: AgentInvocation): Record<string, string>;
  /** Config files to write under the run's home (path relative to it → content). */
  files?(invocation: AgentInvocation): Record<string, string>;
  /** Anything else the run's home needs before the CLI starts (a prepared config directory). */
  prepare?(invocation: AgentInvocation): Promise<void>;
  parse(output: CommandResult, invocation: AgentInvocation): ParsedAgentOutput;
}

/** Status codes and words with which vendors say "try later". */
const OVERLOADED = /\b(529|503|429)\b|overloaded|rate[ _-]?limit|too many requests|resource[ _]exhausted|capacity/i;

export function looksOverloaded(text: string | undefined): boolean {
  return text !== undefined && OVERLOADED.test(text);
}

/** The last few non-empty lines of stderr: the CLI's own words when it gives no structured error. */
export function lastLines(text: string, count = 5): string {
  return text
    .split(/\r?\n/)
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== '')
    .slice(-count)
    .join('\n');
}

/** Builds a runtime from a CLI adapter: every CLI shares the checks, the isolated home, spawning, stall watch and output capture. */
export function cliRuntime(adapter: CliAdapter): AgentRuntime {
  const spec = runtimeSpecOf(adapter.id);
  if (!spec?.binary) throw new Error(`runtime ${adapter.id} has no binary in the runtime table`);
  const binary = spec.binary;
  return {
    id: adapter.id,
    spec,
    async run(invocation) {
      await checkRuntime(spec, invocation);
      await writeHomeFiles(invocation.home, adapter.files?.(invocation) ?? {});
      await adapter.prepare?.(invocation);
      const result = await runCommand(binary, adapter.args(invocation), {
        cwd: invocation.cwd,
        env: { ...invocation.env, ...homeEnv(invocation.home), ...(adapter.env?.(invocation) ?? {}) },
        timeoutMs: invocation.timeoutMs,
        onOutput: invocation.onOutput,
        ...(invocation.stallMs ? { stall: { ms: invocation.stallMs, progressed: workTreeProgress(invocation.cwd) } } : {}),
      });
      const parsed = adapter.parse(result, invocation);
      const softFailure = invocation.mode === 'edit' ? parsed.toolFailed : undefined;
      const reportedFailure = parsed.failed === true || softFailure !== undefined;
      const failed = result.exitCode !== 0 || reportedFailure;
      const errorText = failed ? parsed.errorText || softFailure || lastLines(result.stderr) || lastLines(result.stdout) : undefined;
      return {
        // A CLI that exits 0 after a failure it reports is a failure all the same.
        exitCode: result.exitCode === 0 && reportedFailure ? 1 : result.exitCode,
        timedOut: result.timedOut,
        stalled: result.stalled,
        overloaded: failed && (parsed.overloaded ?? looksOverloaded(errorText)),
        text: parsed.text ?? result.stdout.trim(),
        ...(parsed.costUsd !== undefined ? { costUsd: parsed.costUsd } : {}),
        ...(parsed.tokens ? { tokens: parsed.tokens } : {}),
        ...(parsed.model ? { model: parsed.model } : {}),
        ...(errorText ? { errorText } : {}),
      };
    },
  };
}

/** HOME and the XDG directories inside the run's own home: no CLI reads or writes the operator's settings, credentials or history. */
export function homeEnv(home: string): Record<string, string> {
  return { HOME: home, XDG_CONFIG_HOME: `${home}/.config`, XDG_DATA_HOME: `${home}/.local/share`, XDG_CACHE_HOME: `${home}/.cache`, XDG_STATE_HOME: `${home}/.local/state` };
}

async function writeHomeFiles(home: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const target = join(home, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content, { mode: 0o600 });
  }
}

/** The first set of variables, among those that would do, that is complete in `env`. */
export function completeCredentialSet(env: NodeJS.ProcessEnv, sets: readonly (readonly string[])[]): readonly string[] | undefined {
  return sets.find((set) => set.every((name) => (env[name] ?? '') !== ''));
}
