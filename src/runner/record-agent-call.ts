import { addAgentUsage } from './agent-usage.js';
import type { AgentStepResult } from './run-agent-step.js';
import type { RunState } from './step-types.js';

/**
 * Folds one agent pass into the run state: its usage into the run's totals
 * (priced by the model the CLI says it used, else the one it was started
 * with), the agent that did the work (after any fallback), and the CLI's
 * failure reason for its step. A refusal is the step's summary already.
 */
export function recordAgentCall(state: RunState, result: AgentStepResult, step: string): void {
  const usage = addAgentUsage(state, { ...(result.tokens ? { tokens: result.tokens } : {}), ...(result.costUsd !== undefined ? { costUsd: result.costUsd } : {}), model: result.model });
  state.tokens = usage.tokens;
  state.costUsd = usage.costUsd;
  state.costUnknown = usage.costUnknown;
  state.agent = {
    runtime: result.runtime,
    model: result.model,
    provider: result.provider,
    ...(result.fallbackFrom.length > 0 ? { fallbackFrom: result.fallbackFrom } : {}),
  };
  const errorText = result.refused === undefined ? result.errorText?.trim() : undefined;
  if (errorText) state.agentError = { step, text: errorText };
  else if (state.agentError?.step === step) delete state.agentError;
}
