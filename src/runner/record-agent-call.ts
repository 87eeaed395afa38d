import type { JobSpec } from '../domain/runner-protocol.js';
import { addAgentUsage } from './agent-usage.js';
import type { AgentResult } from './runtimes/agent-runtime.js';
import { runtimeSpecOf } from './runtimes/runtime-table.js';
import type { RunState } from './step-types.js';

export interface AgentCall {
  job: JobSpec;
  /** The runtime that ran the call. */
  runtime: string;
  /** The step the call belongs to, so a failure reason is only reported for its own step. */
  step: string;
  /** The model the repository's WORKFLOW.md / PLANNING.md asked for, if any. */
  guidanceModel?: string | undefined;
}

/**
 * The model a call was asked to use: the repository's front matter, else the
 * mapping's model for the runtime, else the runtime's default for the
 * provider (the runtime table's, which the runtimes pass when nobody names one).
 */
export function requestedModel(call: AgentCall): string | undefined {
  const { job, runtime } = call;
  return (
    call.guidanceModel ??
    job.agent.models?.[runtime] ??
    runtimeSpecOf(runtime)?.providers.find((p) => p.provider === job.agent.provider)?.defaultModel
  );
}

/**
 * Folds one agent call into the run state: its usage into the run's totals
 * (priced by the model the CLI says it used, else the one it was asked for),
 * the agent that made it, and the CLI's failure reason for its step.
 */
export function recordAgentCall(state: RunState, result: AgentResult, call: AgentCall): void {
  const model = result.model ?? requestedModel(call);
  const usage = addAgentUsage(state, { ...(result.tokens ? { tokens: result.tokens } : {}), ...(result.costUsd !== undefined ? { costUsd: result.costUsd } : {}), ...(model ? { model } : {}) });
  state.tokens = usage.tokens;
  state.costUsd = usage.costUsd;
  state.costUnknown = usage.costUnknown;
  const supportsProvider = runtimeSpecOf(call.runtime)?.providers.some((p) => p.provider === call.job.agent.provider) ?? false;
  state.agent = {
    runtime: call.runtime,
    ...(model ? { model } : {}),
    ...(supportsProvider ? { provider: call.job.agent.provider } : {}),
  };
  const errorText = result.errorText?.trim();
  if (errorText) state.agentError = { step: call.step, text: errorText };
  else if (state.agentError?.step === call.step) delete state.agentError;
}
