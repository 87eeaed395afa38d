import { describe, expect, it } from 'vitest';
import { DEFAULT_SOAK_RATES } from '../support/soak/soak-faults.js';
import { runSoak } from '../support/soak/run-soak.js';

/**
 * The soak bench's property on every `npm test`, scaled down: 5 simulated
 * minutes of 3 tickets each through the whole orchestrator, with the bench's
 * fault kinds at higher rates so that 15 tickets meet every one of them.
 */
describe('soak (scaled down)', () => {
  it('ends every ticket with one PR or one clear failure: nothing lost, no duplicate PR, nothing live', async () => {
    const report = await runSoak({
      minutes: 5,
      ticketsPerMinute: 3,
      seed: 7,
      rates: {
        ...DEFAULT_SOAK_RATES,
        agentFailure: 0.15,
        lostResult: 0.15,
        killed: 0.15,
        duplicateResult: 0.25,
        progressAfterResult: 0.25,
        resultAfterJobEnd: 0.15,
        webhookLost: 0.5,
        webhookDuplicated: 0.25,
        dispatch502Every: 7,
        dispatchDropEvery: 5,
      },
    });
    const { audit, runners } = report;
    const notEnded = audit.verdicts.filter((v) => v.end === 'lost' || v.end === 'backoff' || v.stale);

    expect(report.tickets).toBe(15);
    expect(notEnded).toEqual([]);
    expect(audit.counts.pr + audit.counts.failed).toBe(15);
    expect(audit.duplicatePrs).toBe(0);
    expect(audit.liveRuns).toBe(0);
    expect(report.settled).toBe(true);
    expect(report.doubleLiveMinutes).toBe(0);
    expect(runners.refusedAtStart).toBe(0);
    expect(runners.unexpected).toEqual([]);

    // Every fault kind was met, so the assertions above were earned.
    expect(report.dispatch.refused502).toBeGreaterThan(0);
    expect(report.dispatch.dropped).toBeGreaterThan(0);
    expect(runners.fates['lost-result']).toBeGreaterThan(0);
    expect(runners.fates.killed - runners.killedAsCancelled).toBeGreaterThan(0);
    expect(runners.killedAsCancelled).toBeGreaterThan(0);
    expect(runners.duplicateResults).toBeGreaterThan(0);
    expect(runners.progressAfterResult).toBeGreaterThan(0);
    expect(runners.resultsAfterJobEnd).toBeGreaterThan(0);
    expect(runners.webhooksLost).toBeGreaterThan(0);
    expect(runners.webhooksDuplicated).toBeGreaterThan(0);
    expect(report.reaperSettled).toBeGreaterThan(0);
  }, 120_000);
});
