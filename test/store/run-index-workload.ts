import { expect } from 'vitest';
import type { RunBackend, RunStatus, TriggerSource } from '../../src/domain/run.js';
import type { RunQuery, Store } from '../../src/store/store.js';
import { intent, type ManualClock } from './store-fixtures.js';

const MAPPINGS = ['ENG', 'OPS', 'WEB'];
const BACKENDS: RunBackend[] = ['github-actions', 'fly-machines', 'local'];
const TRIGGERS: TriggerSource[] = ['poll', 'linear-webhook', 'retry'];
const ENDINGS: RunStatus[] = ['succeeded', 'failed', 'cancelled'];

/** A small deterministic generator, so a failing case is the same on every run. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * The same workload on any store: runs claimed over ~3 days, most finishing
 * out of order (late finishers land in later history files than their
 * neighbours), some left live, a few issues with many runs.
 */
export async function playWorkload(store: Store, clock: ManualClock, runs: number, seed = 7): Promise<string[]> {
  const random = lcg(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const live: string[] = [];
  const ids: string[] = [];
  for (let i = 0; i < runs; i++) {
    clock.advance(Math.floor(random() * 8 * 60_000));
    const c = await store.runs.claimTicket(
      intent({
        id: `run-${i}`,
        issueId: random() < 0.3 ? `hot-issue-${i % 4}` : `issue-${i}`,
        identifier: `ENG-${i}`,
        mappingKey: pick(MAPPINGS),
        backend: pick(BACKENDS),
        triggerSource: pick(TRIGGERS),
        runnerMode: random() < 0.1 ? 'shadow' : 'default',
        phase: random() < 0.5 ? 'implement' : 'plan',
        instructions: 'x'.repeat(Math.floor(random() * 300)),
      }),
    );
    if (!c.claimed) continue;
    ids.push(c.run.id);
    await store.runs.upsertStep({ runId: c.run.id, id: 'agent', type: 'agent', status: 'passed', output: { i } });
    live.push(c.run.id);
    // Finish a random live run (not always the newest), sometimes several.
    while (live.length > 0 && random() < 0.6) {
      const [id] = live.splice(Math.floor(random() * live.length), 1);
      await store.runs.updateRun(id!, { status: pick(ENDINGS) });
    }
  }
  return ids;
}

/** Every page of a query, newest first, by id. */
export async function pageIds(store: Store, query: RunQuery, limit: number): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.runs.listRuns({ ...query, limit, ...(cursor ? { cursor } : {}) });
    ids.push(...page.items.map((r) => r.id));
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}

export function sampleQueries(from: number, to: number): RunQuery[] {
  const mid = Math.floor((from + to) / 2);
  return [
    {},
    { status: 'failed' },
    { status: ['succeeded', 'cancelled'], mappingKey: 'OPS' },
    { backend: 'fly-machines', triggerSource: 'linear-webhook' },
    { runnerMode: 'shadow' },
    { issueId: 'hot-issue-1' },
    { issueId: 'issue-5' },
    { from: mid },
    { to: mid },
    { from: from + 3_600_000, to: mid, mappingKey: 'ENG' },
    { status: 'running' },
  ];
}

/** Listing, counting, aggregates and lookups answer the same on both stores. */
export async function expectSameAnswers(actual: Store, expected: Store, ids: readonly string[], span: { from: number; to: number }): Promise<void> {
  for (const query of sampleQueries(span.from, span.to)) {
    const want = await pageIds(expected, query, 500);
    expect(await pageIds(actual, query, 7), JSON.stringify(query)).toEqual(want);
    expect(await actual.runs.countRuns(query), JSON.stringify(query)).toBe(want.length);
  }
  expect(await actual.runs.stats()).toEqual(await expected.runs.stats());
  for (const id of ids.filter((_, i) => i % 17 === 0)) {
    expect(await actual.runs.getRun(id)).toEqual(await expected.runs.getRun(id));
    expect(await actual.runs.listSteps(id)).toEqual(await expected.runs.listSteps(id));
  }
}
