import { describe, expect, it } from 'vitest';
import type { Mapping } from '../../src/domain/mapping.js';
import type { Run } from '../../src/domain/run.js';
import { computeServiceLevels, findBreaches, measure, percentile, percentilesOf } from '../../src/domain/service-levels.js';

const NOW = Date.parse('2026-12-07T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const MIN = 60_000;

function run(over: Partial<Run> & { id: string; createdAt: string }): Run {
  return { issueId: `i-${over.id}`, identifier: 'ENG-1', tracker: 'linear', mappingKey: 'ENG', phase: 'implement', status: 'succeeded', attempt: 1, dispatchNumber: 1, backend: 'local', runnerMode: 'default', triggerSource: 'poll', updatedAt: over.createdAt, ...over };
}

const mapping = { teamKey: 'ENG', owner: 'acme', repo: 'web', serviceLevels: { timeToPrP95Minutes: 30, minSuccessRate: 0.9 } } as unknown as Mapping;

describe('service levels', () => {
  it('takes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile([7], 95)).toBe(7);
    expect(percentilesOf([])).toEqual({ count: 0 });
    expect(percentilesOf([30, 10, 20])).toEqual({ count: 3, p50: 20, p95: 30 });
  });

  it('measures first model request, time to PR, success, merge rate and spend per merged PR', () => {
    const t0 = NOW - 60 * MIN;
    const runs = [
      run({ id: 'a', createdAt: iso(t0), firstModelRequestAt: iso(t0 + 1 * MIN), finishedAt: iso(t0 + 20 * MIN), prNumber: 1 }),
      run({ id: 'b', createdAt: iso(t0), firstModelRequestAt: iso(t0 + 3 * MIN), finishedAt: iso(t0 + 40 * MIN), prNumber: 2 }),
      run({ id: 'c', createdAt: iso(t0), status: 'failed', finishedAt: iso(t0 + 5 * MIN) }),
      run({ id: 'd', createdAt: iso(t0), status: 'cancelled' }),
      run({ id: 'shadow', createdAt: iso(t0), status: 'failed', shadowOf: 'a' }),
    ];
    const figures = measure(runs, [{ mappingKey: 'ENG', repo: 'acme/web', number: 1, mergedAt: iso(NOW - MIN), ticketCostUsd: 3 }]);
    expect(figures.firstModelRequestMs).toEqual({ count: 2, p50: 1 * MIN, p95: 3 * MIN });
    expect(figures.timeToPrMs).toEqual({ count: 2, p50: 20 * MIN, p95: 40 * MIN });
    expect(figures.successRate).toBeCloseTo(2 / 3);
    expect(figures).toMatchObject({ finishedRuns: 3, openedPrs: 2, mergedPrs: 1, mergeRate: 0.5, spendPerMergedPrUsd: 3 });
    expect(findBreaches('ENG', figures, mapping.serviceLevels).map((b) => b.message)).toEqual([
      'time to PR p95 is 40 min, over the threshold of 30 min (24 h)',
      'success rate is 67%, under the threshold of 90% (24 h)',
    ]);
  });

  it('keeps the 24 h window apart from the 7 days, per project and per repository', () => {
    const runs = [run({ id: 'new', createdAt: iso(NOW - 60 * MIN) }), run({ id: 'old', createdAt: iso(NOW - 3 * 24 * 60 * MIN), status: 'failed' })];
    const groups = computeServiceLevels({ runs, merges: [], mappings: [mapping], nowMs: NOW });
    expect(groups.map((g) => `${g.kind}:${g.key}`)).toEqual(['mapping:ENG', 'repo:acme/web']);
    expect(groups[0]!.windows['24h'].successRate).toBe(1);
    expect(groups[0]!.windows['7d'].successRate).toBe(0.5);
    expect(groups[1]!.windows['7d'].finishedRuns).toBe(2);
  });
});
