import { formatCostUsd } from './describe-usage.js';
import type { MappingBudget } from './mapping.js';
import type { Run } from './run.js';

/**
 * Spend against a project's limits, decided without I/O: the sums of a
 * ticket's runs (every attempt, retry, gap-fill and review-feedback round
 * counts toward its ticket) and of a project's calendar month, and which
 * limit a run or a start would pass. Shadow legs are counted too: their
 * agent spent real money.
 */

export type BudgetLimit = 'perRunUsd' | 'perTicketUsd' | 'monthlyUsd';

/** The spend a check compares with the limits. Undefined figures are not checked. */
export interface SpendFigures {
  runUsd?: number;
  ticketUsd: number;
  monthUsd: number;
}

export interface BudgetBreach {
  limit: BudgetLimit;
  limitUsd: number;
  spentUsd: number;
  /** One sentence for the ticket, the run's failure reason and the Blockers panel. */
  reason: string;
}

const LIMIT_WORDS: Record<BudgetLimit, string> = {
  perRunUsd: 'per-run limit',
  perTicketUsd: 'per-ticket limit (all runs of the ticket, retries and review rounds included)',
  monthlyUsd: 'monthly limit of the project',
};

/** Rounds to a millionth of a dollar, as prices are (float sums drift otherwise). */
export function roundUsd(usd: number): number {
  return Math.round(usd * 1_000_000) / 1_000_000;
}

/** The summed cost of runs (runs without a reported cost add nothing). */
export function sumCostUsd(runs: readonly Pick<Run, 'costUsd'>[]): number {
  return roundUsd(runs.reduce((sum, run) => sum + (run.costUsd ?? 0), 0));
}

/** Tokens of runs, summed by kind. */
export function sumTokens(runs: readonly Pick<Run, 'tokens'>[]): { input: number; output: number; cacheRead: number; cacheWrite: number } {
  const total = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };
  for (const { tokens } of runs) {
    if (!tokens) continue;
    total.input += tokens.input;
    total.output += tokens.output;
    total.cacheRead += tokens.cacheRead ?? 0;
    total.cacheWrite += tokens.cacheWrite ?? 0;
  }
  return total;
}

/** The first instant of the calendar month (UTC) that holds `nowMs`. */
export function monthStartUtc(nowMs: number): number {
  const d = new Date(nowMs);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** `2026-12` for the month that holds `nowMs`. */
export function monthLabel(nowMs: number): string {
  return new Date(nowMs).toISOString().slice(0, 7);
}

function breachOf(limit: BudgetLimit, limitUsd: number | undefined, spentUsd: number | undefined, subject: string): BudgetBreach | undefined {
  if (limitUsd === undefined || spentUsd === undefined || spentUsd <= limitUsd) return undefined;
  return {
    limit,
    limitUsd,
    spentUsd,
    reason: `${subject} spent ${formatCostUsd(spentUsd)}, over the ${LIMIT_WORDS[limit]} of ${formatCostUsd(limitUsd)}`,
  };
}

/**
 * The first limit a running run has passed (run, then ticket, then month),
 * or undefined while all hold. Spending exactly the limit is within it.
 */
export function findBudgetBreach(budget: MappingBudget | undefined, spend: SpendFigures, names: { run: string; ticket: string; mapping: string }): BudgetBreach | undefined {
  if (!budget) return undefined;
  return (
    breachOf('perRunUsd', budget.perRunUsd, spend.runUsd, `Run ${names.run}`) ??
    breachOf('perTicketUsd', budget.perTicketUsd, spend.ticketUsd, `Ticket ${names.ticket}`) ??
    breachOf('monthlyUsd', budget.monthlyUsd, spend.monthUsd, `Project ${names.mapping}`)
  );
}

/**
 * Why a new run may not start: the ticket or the project has already reached
 * its limit (a run would start with nothing left to spend), else undefined.
 */
export function findStartRefusal(budget: MappingBudget | undefined, spend: Omit<SpendFigures, 'runUsd'>, names: { ticket: string; mapping: string }): BudgetBreach | undefined {
  if (!budget) return undefined;
  const reached = (limit: BudgetLimit, limitUsd: number | undefined, spentUsd: number, subject: string): BudgetBreach | undefined =>
    limitUsd !== undefined && spentUsd >= limitUsd
      ? { limit, limitUsd, spentUsd, reason: `${subject} has spent ${formatCostUsd(spentUsd)}, which reaches the ${LIMIT_WORDS[limit]} of ${formatCostUsd(limitUsd)}` }
      : undefined;
  return reached('perTicketUsd', budget.perTicketUsd, spend.ticketUsd, `Ticket ${names.ticket}`) ?? reached('monthlyUsd', budget.monthlyUsd, spend.monthUsd, `Project ${names.mapping}`);
}
