import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { parseMapping } from '../src/domain/mapping-schema.js';
import { planDispatch } from '../src/domain/plan-dispatch.js';
import { claimAndDispatch } from '../src/orchestrator/claim-and-dispatch.js';
import { runIntakeCycle, type IntakeDeps } from '../src/orchestrator/intake-cycle.js';
import { LinearEmulator } from '../src/sandbox/linear/index.js';
import { createMemoryStore } from '../src/store/memory/create-memory-store.js';
import { createLinearTracker } from '../src/trackers/linear/index.js';
import { formatTable, percentile, type BenchTable } from './bench-table.js';

const MAPPINGS = 50;
const TICKETS = 5_000;
const PAGE_SIZE = 100;
const CAP = 3;
const PLAN_REPEATS = 30;

/**
 * One poll cycle over 50 Linear mappings and 5,000 candidate tickets: how many
 * Linear requests it makes (one paged query for every mapping together) and
 * how long the pure planner takes on that snapshot. Every mapping is at its
 * cap, so the cycle is all reads — the steady state of a busy installation.
 */
export async function runIntakeBench(): Promise<BenchTable> {
  const linear = new LinearEmulator({ requestsLimit: 1_000_000 });
  await linear.start();
  const store = createMemoryStore();
  await store.open();
  try {
    linear.store.addLabel({ name: 'AI-Implement', team: null });
    const now = new Date().toISOString();
    for (let m = 0; m < MAPPINGS; m++) {
      const key = `T${m}`;
      linear.store.addTeam({ key });
      const parsed = parseMapping({ teamKey: key, owner: 'acme', repo: `repo-${m}`, defaultBranch: 'main', maxInProgressAiIssues: CAP }, now);
      if (!parsed.ok) throw new Error('bad bench mapping');
      await store.mappings.upsert(parsed.mapping);
      for (let r = 0; r < CAP; r++) {
        await store.runs.claimTicket({ issueId: `busy-${key}-${r}`, identifier: `${key}-B${r}`, tracker: 'linear', mappingKey: key, phase: 'implement', backend: 'github-actions', runnerMode: 'default', triggerSource: 'poll' });
      }
    }
    for (let i = 0; i < TICKETS; i++) linear.store.addIssue({ team: `T${i % MAPPINGS}`, title: `Ticket ${i}`, labels: ['AI-Implement'] });

    const tracker = createLinearTracker({ apiKey: linear.apiKey, apiUrl: linear.apiUrl, pageSize: PAGE_SIZE });
    const log = pino({ level: 'silent' });
    const trackers = { linear: tracker };
    const runnerMode = async () => 'default' as const;
    // Runs are claimed for real; the backend call is left out of the measured cycle.
    const starts = { store, trackers, runnerMode, clock: Date.now, log, dedupWindowMs: 86_400_000, dispatch: () => async () => undefined, dispatchDisabled: undefined, runUrl: (id: string) => id };
    const deps: IntakeDeps = { store, trackers, runnerMode, retryLimit: 2, clock: Date.now, log, startRun: (intent) => claimAndDispatch(starts, intent) };

    linear.server.clearRequests();
    const cycleStarted = performance.now();
    const result = await runIntakeCycle(deps);
    const cycleMs = performance.now() - cycleStarted;
    const requests = linear.server.requests.length;
    const allowed = Math.ceil(TICKETS / PAGE_SIZE) + 3;

    const [activeRuns, mappings] = await Promise.all([store.runs.listActiveRuns(), store.mappings.list()]);
    const planTimes: number[] = [];
    for (let i = 0; i < PLAN_REPEATS; i++) {
      const t = performance.now();
      planDispatch({ candidates: result.candidates, mappings }, { activeRuns, dedup: new Map(), now: Date.now() }, { retryLimit: 2, runnerMode: 'default', triggerSource: 'poll' });
      planTimes.push(performance.now() - t);
    }
    planTimes.sort((a, b) => a - b);
    const p50 = percentile(planTimes, 50);
    const worst = planTimes[planTimes.length - 1] ?? Number.NaN;

    return {
      title: `intake: one poll cycle, ${MAPPINGS} Linear mappings, ${TICKETS} candidate tickets (page size ${PAGE_SIZE})`,
      columns: ['measure', 'value', 'target', 'ratio (target / value)'],
      rows: [
        ['Linear requests in the cycle', requests, `<= ${allowed}`, round(allowed / requests)],
        ['candidates returned', result.candidates.length, TICKETS, round(result.candidates.length / TICKETS)],
        ['blockers (all at cap)', result.plan.blockers.length, TICKETS, round(result.plan.blockers.length / TICKETS)],
        ['planning p50 (ms)', round(p50), '<= 50', round(50 / p50)],
        ['planning worst of 30 (ms)', round(worst), '<= 50', round(50 / worst)],
        ['whole cycle incl. HTTP (ms)', round(cycleMs), '-', '-'],
      ],
      notes: [
        `requests ${requests <= allowed ? 'met' : 'MISSED'} (<= ceil(${TICKETS}/${PAGE_SIZE}) + 3 = ${allowed}); planning ${worst <= 50 ? 'met' : 'MISSED'} (<= 50 ms, worst of ${PLAN_REPEATS})`,
      ],
    };
  } finally {
    await store.close();
    await linear.stop();
  }
}

const round = (n: number) => Math.round(n * 100) / 100;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(formatTable(await runIntakeBench()));
}
