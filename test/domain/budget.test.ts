import { describe, expect, it } from 'vitest';
import { findBudgetBreach, findStartRefusal, monthStartUtc, sumCostUsd, sumTokens } from '../../src/domain/budget.js';
import { parseMapping } from '../../src/domain/mapping-schema.js';

const names = { run: 'run-1', ticket: 'ENG-1', mapping: 'ENG' };

describe('spend sums and limits', () => {
  it('sums a ticket’s runs without float drift, counting runs without a cost as nothing', () => {
    // 0.1 + 0.2 is 0.30000000000000004 in floats; a limit of 0.3 must hold.
    expect(sumCostUsd([{ costUsd: 0.1 }, { costUsd: 0.2 }, {}])).toBe(0.3);
    expect(sumTokens([{ tokens: { input: 10, output: 2, cacheRead: 5 } }, { tokens: { input: 1, output: 1 } }, {}])).toEqual({ input: 11, output: 3, cacheRead: 5, cacheWrite: 0 });
  });

  it('starts the month at 00:00 UTC on the first', () => {
    expect(new Date(monthStartUtc(Date.parse('2026-12-07T18:00:00Z'))).toISOString()).toBe('2026-12-01T00:00:00.000Z');
  });

  it('names the run, ticket or monthly limit passed, with the figures; exactly the limit is within it', () => {
    const budget = { perRunUsd: 2, perTicketUsd: 5, monthlyUsd: 100 };
    expect(findBudgetBreach(budget, { runUsd: 2, ticketUsd: 5, monthUsd: 100 }, names)).toBeUndefined();
    expect(findBudgetBreach(budget, { runUsd: 2.5, ticketUsd: 3, monthUsd: 10 }, names)).toMatchObject({ limit: 'perRunUsd', reason: 'Run run-1 spent $2.50, over the per-run limit of $2.00' });
    expect(findBudgetBreach(budget, { runUsd: 0.5, ticketUsd: 5.01, monthUsd: 10 }, names)?.limit).toBe('perTicketUsd');
    expect(findBudgetBreach(budget, { runUsd: 0.5, ticketUsd: 1, monthUsd: 100.5 }, names)?.reason).toBe('Project ENG spent $100.50, over the monthly limit of the project of $100.00');
    expect(findBudgetBreach(undefined, { runUsd: 1e6, ticketUsd: 1e6, monthUsd: 1e6 }, names)).toBeUndefined();
  });

  it('refuses a start once a ticket or project has reached its limit', () => {
    expect(findStartRefusal({ perTicketUsd: 1 }, { ticketUsd: 0.99, monthUsd: 0 }, names)).toBeUndefined();
    expect(findStartRefusal({ perTicketUsd: 1 }, { ticketUsd: 1, monthUsd: 0 }, names)?.limit).toBe('perTicketUsd');
    expect(findStartRefusal({ monthlyUsd: 50 }, { ticketUsd: 0, monthUsd: 50 }, names)?.limit).toBe('monthlyUsd');
  });

  it('validates a mapping’s budget and service-level thresholds with sentences naming the field', () => {
    const base = { teamKey: 'ENG', owner: 'acme', repo: 'web', defaultBranch: 'main' };
    const ok = parseMapping({ ...base, budget: { perTicketUsd: 5, monthlyUsd: 200 }, serviceLevels: { minSuccessRate: 0.8 } }, '2026-12-07T00:00:00Z');
    expect(ok.ok && ok.mapping.budget).toEqual({ perTicketUsd: 5, monthlyUsd: 200 });
    const bad = parseMapping({ ...base, budget: { perTicketUsd: -1, perRunUsd: 0.001, weekly: 3 }, serviceLevels: { minMergeRate: 2 } }, '2026-12-07T00:00:00Z');
    expect(bad.ok).toBe(false);
    const text = bad.ok ? '' : bad.problems.map((p) => `${p.field} ${p.message}`).join('\n');
    expect(text).toContain('budget.perTicketUsd must be above 0 dollars');
    expect(text).toContain('budget.perRunUsd must be whole cents at most, e.g. 12.5');
    expect(text).toContain('weekly');
    expect(text).toContain('serviceLevels.minMergeRate must be a share from 0 to 1, e.g. 0.8');
  });
});
