import type { Run, RunAgent, TokenUsage } from './run.js';

/**
 * How a run's agent, tokens and cost read for people: one wording for the
 * ticket's final comment and the run page, so the two never disagree.
 */

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** `12,345 in / 2,345 out / 10,000 cache read tokens`; cache kinds appear only when used. */
export function describeTokens(tokens: TokenUsage): string {
  const parts = [`${formatCount(tokens.input)} in`, `${formatCount(tokens.output)} out`];
  if (tokens.cacheRead) parts.push(`${formatCount(tokens.cacheRead)} cache read`);
  if (tokens.cacheWrite) parts.push(`${formatCount(tokens.cacheWrite)} cache write`);
  return `${parts.join(' / ')} tokens`;
}

/** Cents hide what a short run costs: four decimals below a dollar, two above. */
export function formatCostUsd(costUsd: number): string {
  return `$${costUsd.toFixed(costUsd < 1 ? 4 : 2)}`;
}

function listOf(names: readonly string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/** `claude-code (claude-sonnet-4-5, after codex gave up)`. */
export function describeAgent(agent: RunAgent): string {
  const details: string[] = [];
  if (agent.model) details.push(agent.model);
  if (agent.fallbackFrom && agent.fallbackFrom.length > 0) details.push(`after ${listOf(agent.fallbackFrom)} gave up`);
  return details.length > 0 ? `${agent.runtime} (${details.join(', ')})` : agent.runtime;
}

/**
 * The usage line of a finished run, e.g. `Done by claude-code (claude-sonnet-4-5)
 * — 12,345 in / 2,345 out / 10,000 cache read tokens, $0.0421`; undefined when
 * the runner reported none of it.
 */
export function describeRunUsage(run: Pick<Run, 'status' | 'agent' | 'tokens' | 'costUsd'>): string | undefined {
  if (!run.agent && !run.tokens && run.costUsd === undefined) return undefined;
  const lead = run.agent ? `${run.status === 'succeeded' || run.status === 'pr_opened' ? 'Done by' : 'Ran'} ${describeAgent(run.agent)}` : 'Agent usage';
  const parts: string[] = [];
  if (run.tokens) parts.push(describeTokens(run.tokens));
  if (run.costUsd !== undefined) parts.push(formatCostUsd(run.costUsd));
  else if (run.tokens) parts.push('cost unknown');
  return parts.length > 0 ? `${lead} — ${parts.join(', ')}` : lead;
}
