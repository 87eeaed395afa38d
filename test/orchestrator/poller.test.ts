import { describe, expect, it } from 'vitest';
import type { IntakeCycleResult, TicketRef } from '../../src/orchestrator/intake-cycle.js';
import { Poller } from '../../src/orchestrator/poller.js';
import { foldEvaluation } from '../../src/orchestrator/fold-evaluation.js';
import { createTestLogger } from '../support/test-logger.js';

function emptyResult(): IntakeCycleResult {
  return { at: new Date().toISOString(), plan: { starts: [], blockers: [] }, started: [], errors: [], candidates: [] };
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Poller', () => {
  it('runs a full cycle at once, then on its interval, never two at a time', async () => {
    const calls: { only?: readonly TicketRef[] }[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const poller = new Poller({
      intervalMs: 40,
      log: createTestLogger().log,
      runCycle: async (request) => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        calls.push(request.only ? { only: request.only } : {});
        await wait(15);
        inFlight -= 1;
        return emptyResult();
      },
    });
    poller.start();
    await wait(5);
    expect(calls).toHaveLength(1);
    for (let i = 0; i < 5; i++) poller.requestEvaluation({ tracker: 'linear', issueId: `i-${i % 2}` });
    await wait(160);
    await poller.stop();
    expect(maxInFlight).toBe(1);
    const full = calls.filter((c) => !c.only);
    const targeted = calls.filter((c) => c.only);
    expect(full.length).toBeGreaterThanOrEqual(3);
    // The five requests (two distinct tickets) arrived during the first cycle and were coalesced into one evaluation.
    expect(targeted[0]?.only?.map((r) => r.issueId).sort()).toEqual(['i-0', 'i-1']);
  });

  it('keeps polling after a failed cycle', async () => {
    let n = 0;
    const { log, lines } = createTestLogger();
    const poller = new Poller({
      intervalMs: 10,
      log,
      runCycle: async () => {
        n += 1;
        if (n === 1) throw new Error('tracker down');
        return emptyResult();
      },
    });
    poller.start();
    // Waits for the cycles rather than a fixed time: a loaded machine runs timers late.
    await expect.poll(() => n, { timeout: 5_000, interval: 10 }).toBeGreaterThan(2);
    await poller.stop();
    expect(lines.some((l) => l.includes('tracker down'))).toBe(true);
    expect(poller.latest).toBeDefined();
  });

  it('skips scheduled full cycles while another replica leads, runs them once this one does, and runs runNow and targeted evaluations either way', async () => {
    let leader = false;
    const requests: Array<{ only?: readonly unknown[] }> = [];
    const { log } = createTestLogger();
    const poller = new Poller({
      intervalMs: 10,
      log,
      mayRunFullCycle: () => leader,
      runCycle: async (request) => {
        requests.push(request);
        return emptyResult();
      },
    });
    poller.start();
    await wait(60);
    expect(requests).toEqual([]);
    expect(poller.latest).toBeUndefined();
    poller.requestEvaluation({ tracker: 'linear', issueId: 'i-1' });
    await wait(20);
    expect(requests.map((r) => r.only?.length)).toEqual([1]);
    await poller.runNow();
    expect(requests.map((r) => r.only?.length)).toEqual([1, undefined]);
    leader = true;
    poller.requestFullCycle();
    await wait(60);
    await poller.stop();
    expect(requests.filter((r) => r.only === undefined).length).toBeGreaterThan(2);
  });
});

describe('foldEvaluation', () => {
  const item = (id: string, identifier: string, tracker: 'linear' | 'jira' = 'linear') => ({ item: { id, identifier, tracker } as IntakeCycleResult['candidates'][number]['item'], mappingKeys: ['ENG'] });
  const blocker = (issueId: string, identifier: string) => ({ issueId, identifier, title: identifier, url: '', tracker: 'jira' as const, teamKey: 'OPS', reason: 'concurrency' as const, detail: '' });
  const full: IntakeCycleResult = { ...emptyResult(), candidates: [item('a', 'ENG-1'), item('b', 'ENG-2'), item('10001', 'OPS-1', 'jira')], plan: { starts: [], blockers: [blocker('10001', 'OPS-1')] } };

  it('replaces what the full cycle knew of the named tickets, by id or identifier, and keeps the rest', () => {
    const evaluated: IntakeCycleResult = { ...emptyResult(), candidates: [item('c', 'ENG-3')] };
    const folded = foldEvaluation(full, evaluated, [{ tracker: 'linear', issueId: 'b' }, { tracker: 'linear', issueId: 'c' }, { tracker: 'jira', issueId: 'OPS-1' }]);
    expect(folded.candidates.map((c) => c.item.identifier)).toEqual(['ENG-1', 'ENG-3']);
    expect(folded.plan.blockers).toEqual([]);
    expect(folded.at).toBe(full.at);
  });

  it('keeps a tracker it could not read as the full cycle saw it', () => {
    const evaluated: IntakeCycleResult = { ...emptyResult(), errors: [{ tracker: 'jira', message: 'down' }] };
    const folded = foldEvaluation(full, evaluated, [{ tracker: 'jira', issueId: 'OPS-1' }]);
    expect(folded).toBe(full);
  });
});

describe('Poller.evaluate', () => {
  it('resolves once an evaluation covering the ticket finished, and rejects when it failed or the poller stopped', async () => {
    const seen: string[][] = [];
    let failNext = false;
    const poller = new Poller({
      intervalMs: 60_000,
      log: createTestLogger().log,
      runCycle: async (request) => {
        await wait(5);
        if (!request.only) return emptyResult();
        seen.push(request.only.map((r) => r.issueId));
        if (failNext) {
          failNext = false;
          throw new Error('tracker exploded');
        }
        return emptyResult();
      },
    });
    poller.start();
    let done = false;
    const first = poller.evaluate({ tracker: 'linear', issueId: 'a' }).then(() => (done = true));
    expect(done).toBe(false);
    await first;
    expect(seen.flat()).toContain('a');

    failNext = true;
    await wait(20);
    await expect(poller.evaluate({ tracker: 'linear', issueId: 'b' })).rejects.toThrow('tracker exploded');

    // A tracker the evaluation could not read leaves the ticket unevaluated: the caller hears so.
    const unreadable = new Poller({
      intervalMs: 60_000,
      log: createTestLogger().log,
      runCycle: async (request) => (request.only ? { ...emptyResult(), errors: [{ tracker: 'jira', message: 'rate limited' }] } : emptyResult()),
    });
    unreadable.start();
    await expect(unreadable.evaluate({ tracker: 'jira', issueId: 'OPS-1' })).rejects.toThrow('jira could not be read: rate limited');
    await unreadable.stop();

    await poller.stop();
    // Stopped: nothing will evaluate it, so the caller is told rather than left waiting.
    const never = new Poller({ intervalMs: 60_000, log: createTestLogger().log, runCycle: async () => emptyResult() });
    const waiting = never.evaluate({ tracker: 'linear', issueId: 'c' });
    await never.stop();
    await expect(waiting).rejects.toThrow('stopped');
  });
});
