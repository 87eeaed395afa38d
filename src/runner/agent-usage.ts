import { priceUsage } from '../domain/model-prices.js';
import type { TokenUsage } from '../domain/run.js';

/** What a run's agent calls used so far. */
export interface RunUsage {
  tokens?: TokenUsage;
  costUsd?: number;
  /**
   * Set once a call used tokens that neither its CLI nor the price table could
   * price: from then on the run's cost is unknown, because a total missing a
   * part would read as the whole bill.
   */
  costUnknown?: boolean;
}

/** One agent call's usage as its runtime reported it; `model` is what prices it when the CLI gave no cost. */
export interface AgentCallUsage {
  tokens?: TokenUsage;
  costUsd?: number;
  model?: string;
}

function sumTokens(a: TokenUsage | undefined, b: TokenUsage): TokenUsage {
  const cacheRead = (a?.cacheRead ?? 0) + (b.cacheRead ?? 0);
  const cacheWrite = (a?.cacheWrite ?? 0) + (b.cacheWrite ?? 0);
  return {
    input: (a?.input ?? 0) + b.input,
    output: (a?.output ?? 0) + b.output,
    // Kept absent rather than 0 when no call reported the kind: the CLI did not say, which is not "none".
    ...(a?.cacheRead !== undefined || b.cacheRead !== undefined ? { cacheRead } : {}),
    ...(a?.cacheWrite !== undefined || b.cacheWrite !== undefined ? { cacheWrite } : {}),
  };
}

/**
 * Adds one agent call to the run's usage (pure). All four token kinds are
 * summed. The call's cost is the CLI's own figure when it reported one (it
 * knows its tier and discounts), otherwise its tokens at list price
 * (`model-prices`); a call with tokens but no price makes the run's cost
 * unknown, and a call that reported nothing adds nothing.
 */
export function addAgentUsage(total: RunUsage, call: AgentCallUsage): RunUsage {
  const tokens = call.tokens ? sumTokens(total.tokens, call.tokens) : total.tokens;
  const callCost = call.costUsd ?? (call.tokens ? priceUsage(call.model, call.tokens) : undefined);
  const unpriced = call.costUsd === undefined && call.tokens !== undefined && callCost === undefined;
  const costUnknown = total.costUnknown === true || unpriced;
  let costUsd: number | undefined;
  if (!costUnknown) {
    // Micro-dollars again, so summing many calls does not grow float noise.
    costUsd = callCost === undefined ? total.costUsd : Math.round(((total.costUsd ?? 0) + callCost) * 1_000_000) / 1_000_000;
  }
  return {
    ...(tokens ? { tokens } : {}),
    ...(costUsd !== undefined ? { costUsd } : {}),
    ...(costUnknown ? { costUnknown } : {}),
  };
}
