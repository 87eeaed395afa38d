import { describeAgent, describeRunUsage, formatCostUsd, formatCount } from '../../../domain/describe-usage.js';
import type { Run } from '../../../domain/run.js';

export interface RunUsageView {
  /** The same sentence the ticket's final comment carries. */
  headline: string;
  rows: { label: string; value: string }[];
}

/**
 * The run page's usage card: which agent did the work, with which model,
 * every kind of token apart, and the cost (the CLI's own figure or list
 * price). Absent until the runner reported any of it.
 */
export function buildRunUsage(run: Run): RunUsageView | undefined {
  const headline = describeRunUsage(run);
  if (!headline) return undefined;
  const { agent, tokens } = run;
  const count = (n: number | undefined): string => (n === undefined ? '—' : formatCount(n));
  let cost = '—';
  if (run.costUsd !== undefined) cost = formatCostUsd(run.costUsd);
  else if (tokens) cost = 'unknown: a model the price table does not know, and no cost from its CLI';
  return {
    headline,
    rows: [
      { label: 'Agent', value: agent ? `${describeAgent({ runtime: agent.runtime, ...(agent.fallbackFrom ? { fallbackFrom: agent.fallbackFrom } : {}) })}${agent.provider ? ` on ${agent.provider}` : ''}` : '—' },
      { label: 'Model', value: agent?.model ?? '—' },
      { label: 'Input tokens', value: count(tokens?.input) },
      { label: 'Output tokens', value: count(tokens?.output) },
      { label: 'Cache read tokens', value: count(tokens?.cacheRead) },
      { label: 'Cache write tokens', value: count(tokens?.cacheWrite) },
      { label: 'Cost', value: cost },
    ],
  };
}
