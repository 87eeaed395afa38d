import { startHarness, type OrchestratorHarness } from '../orchestrator-harness.js';
import { repoTarget } from '../../github/support/github-scenario.js';
import { MemorySampler, type MemoryReport } from './memory-samples.js';
import { auditTickets, type SoakAudit, type SoakTicket } from './soak-audit.js';
import { DEFAULT_SOAK_RATES, type SoakRates } from './soak-faults.js';
import { SoakRunners, drainInbox, type RunnerTally } from './soak-runners.js';

export interface SoakOptions {
  /** Simulated minutes during which tickets arrive. */
  minutes: number;
  ticketsPerMinute: number;
  seed?: number;
  rates?: SoakRates;
  /**
   * Simulated minutes allowed after the last ticket for retries to play out.
   * The worst ticket needs three jobs (≤ 4 min each), two back-offs (2 and
   * 8 min) and, when a job's end is only found by the reaper, up to 10 min
   * per job (its 5-minute sweep plus the 5-minute grace): about 52 min.
   */
  tailMinutes?: number;
  /** The reaper's sweep, every this many simulated minutes (its default interval is 5 min). */
  reaperEveryMinutes?: number;
  /** Flat memory: end RSS within this many MB of the post-warm-up sample. */
  memoryThresholdMb?: number;
  /**
   * The Linear emulator's hourly request budget. Unlimited by default: at 10
   * tickets a minute the orchestrator needs more than Linear's 5,000 an hour
   * (the report counts them), and a stalled intake is not what this measures.
   */
  linearRequestsLimit?: number;
  /** Called once per simulated minute (progress for the bench). */
  onMinute?: (line: string) => void;
}

export interface SoakReport {
  options: Required<Omit<SoakOptions, 'onMinute'>>;
  tickets: number;
  audit: SoakAudit;
  runners: RunnerTally;
  dispatch: { posts: number; refused502: number; dropped: number };
  /** Runs the reaper settled because their job ended or vanished without a result. */
  reaperSettled: number;
  /** Minutes at whose end one ticket had two live runs at once (must be 0). */
  doubleLiveMinutes: number;
  maxLiveRuns: number;
  /** Minutes whose webhook deliveries were not all handled before the clock moved on. */
  inboxBacklogMinutes: number;
  simulatedMinutes: number;
  /** Whether everything settled before the tail ran out. */
  settled: boolean;
  requests: { github: number; linear: number };
  /** Linear requests by GraphQL operation name, most first: where the tracker budget goes. */
  linearOperations: Array<[string, number]>;
  memory: MemoryReport;
  wallMs: number;
}

const MINUTE = 60_000;
const TEAM = 'SOAK';
const REPO = 'soak';

/**
 * One soak: tickets arrive in the Linear emulator at a steady rate, the
 * orchestrator (the real composition root, GitHub Actions backend) takes
 * them through one poll cycle per simulated minute, the runner side plays
 * each job with its seeded faults, dispatches fail now and then at the
 * GitHub emulator, and the reaper sweeps every five minutes. Afterwards
 * every ticket is audited. Simulated time moves with `advance`; nothing sleeps.
 */
export async function runSoak(input: SoakOptions): Promise<SoakReport> {
  const options = {
    minutes: input.minutes,
    ticketsPerMinute: input.ticketsPerMinute,
    seed: input.seed ?? 1,
    rates: input.rates ?? DEFAULT_SOAK_RATES,
    tailMinutes: input.tailMinutes ?? 60,
    reaperEveryMinutes: input.reaperEveryMinutes ?? 5,
    memoryThresholdMb: input.memoryThresholdMb ?? 50,
    linearRequestsLimit: input.linearRequestsLimit ?? 1e9,
  };
  const started = Date.now();
  const h = await startHarness({}, { linearRequestsLimit: options.linearRequestsLimit });
  try {
    const target = await prepare(h, options.rates);
    const runners = new SoakRunners(h, target, options.rates, options.seed, h.clock);
    const memory = new MemorySampler(Math.max(5, Math.round(options.minutes / 10)), options.memoryThresholdMb);
    const tickets: SoakTicket[] = [];
    const dispatch = { posts: 0, refused502: 0, dropped: 0 };
    const requests = { github: 0, linear: 0 };
    const linearOperations = new Map<string, number>();
    let reaperSettled = 0;
    let doubleLiveMinutes = 0;
    let maxLiveRuns = 0;
    let inboxBacklogMinutes = 0;
    let settled = false;
    let minute = 0;

    for (; minute < options.minutes + options.tailMinutes; minute++) {
      const arriving = minute < options.minutes;
      if (arriving) {
        for (let i = 0; i < options.ticketsPerMinute; i++) {
          const issue = h.linear.store.addIssue({ team: TEAM, title: `Soak ticket ${minute}.${i}`, labels: ['AI-Implement'] });
          tickets.push({ id: issue.id, identifier: issue.identifier });
        }
      }
      const cycle = await h.cycle();
      await runners.step();
      if (!(await drainInbox(h))) inboxBacklogMinutes += 1;
      if ((minute + 1) % options.reaperEveryMinutes === 0) {
        reaperSettled += (await h.orchestrator.services.operations.reaper.sweep()).settledRuns.length;
      }

      const active = (await h.orchestrator.store.runs.listActiveRuns()).filter((r) => !r.shadowOf);
      maxLiveRuns = Math.max(maxLiveRuns, active.length);
      if (new Set(active.map((r) => r.issueId)).size !== active.length) doubleLiveMinutes += 1;
      countRequests(h, dispatch, requests, linearOperations);
      memory.sample(minute);
      input.onMinute?.(`minute ${minute}: ${tickets.length} tickets, ${active.length} live runs, ${runners.live} live jobs, ${Math.round(process.memoryUsage().rss / 2 ** 20)} MB`);

      if (!arriving && active.length === 0 && runners.live === 0 && cycle.plan.starts.length === 0 && (await inBackoff(h)) === 0) {
        settled = true;
        break;
      }
      h.advance(MINUTE);
    }

    const audit = await auditTickets(h, tickets);
    return {
      options,
      tickets: tickets.length,
      audit,
      runners: runners.tally,
      dispatch,
      reaperSettled,
      doubleLiveMinutes,
      maxLiveRuns,
      inboxBacklogMinutes,
      simulatedMinutes: minute + 1,
      settled,
      requests,
      linearOperations: [...linearOperations].sort((a, b) => b[1] - a[1]),
      memory: memory.report(),
      wallMs: Date.now() - started,
    };
  } finally {
    await h.stop();
  }
}

async function prepare(h: OrchestratorHarness, rates: SoakRates) {
  h.github.state.addRepo({ owner: 'acme', name: REPO, defaultBranch: 'main', files: { 'README.md': '# soak\n' } });
  h.github.state.addWorkflow('acme', REPO, {
    file: 'claude-implement.yml',
    name: 'AI-Implement',
    runName: 'AI-Implement ${{ inputs.run_id }}',
    inputs: { run_id: { required: true }, orchestrator_url: { required: true } },
  });
  // Thousands of calls an hour: GitHub's hourly budget is not what is under test.
  h.github.rateLimit.limit = 1e9;
  h.github.rateLimit.remaining = 1e9;
  h.linear.store.addTeam({ key: TEAM });
  h.linear.store.addLabel({ name: 'AI-Implement', team: null });
  await h.addMapping({
    teamKey: TEAM,
    owner: 'acme',
    repo: REPO,
    defaultBranch: 'main',
    executionMode: 'github-actions',
    maxInProgressAiIssues: 100,
    // The GitHub emulator keeps real time (Probot signs App JWTs with it) while the
    // orchestrator's clock jumps ahead, so a job's age as the reaper reads it is the
    // whole jump; a 90-minute limit would reap healthy jobs late in the soak.
    maxJobMinutes: 24 * 60,
  });
  const dispatches = /\/actions\/workflows\/[^/]+\/dispatches$/;
  h.github.server.injectFault({ kind: 'error', status: 502, method: 'POST', path: dispatches, every: rates.dispatch502Every });
  h.github.server.injectFault({ kind: 'drop-after-apply', method: 'POST', path: dispatches, every: rates.dispatchDropEvery });
  return repoTarget(h.github.state, 'acme', REPO);
}

/** Tickets waiting out a retry back-off. */
async function inBackoff(h: OrchestratorHarness): Promise<number> {
  return (await h.orchestrator.store.dedup.listActive()).filter((d) => (d.failures ?? 0) > 0 && (d.failures ?? 0) <= 2).length;
}

/**
 * Counts what the emulators saw this minute, then empties their request logs:
 * they record every request with headers and body for tests to inspect, and
 * an hour of that would be the emulators' memory, not the orchestrator's.
 */
function countRequests(h: OrchestratorHarness, dispatch: SoakReport['dispatch'], requests: SoakReport['requests'], linearOperations: Map<string, number>): void {
  const posts = h.github.server.requestsTo('POST', /\/dispatches$/);
  dispatch.posts += posts.length;
  dispatch.refused502 += posts.filter((r) => r.outcome === 502).length;
  dispatch.dropped += posts.filter((r) => r.outcome === 'dropped').length;
  requests.github += h.github.server.requests.length;
  requests.linear += h.linear.server.requests.length;
  for (const r of h.linear.server.requests) {
    const query = (r.body as { query?: unknown } | undefined)?.query;
    const name = typeof query === 'string' ? (/\b(?:query|mutation)\s+(\w+)/.exec(query)?.[1] ?? 'anonymous') : 'other';
    linearOperations.set(name, (linearOperations.get(name) ?? 0) + 1);
  }
  h.github.server.clearRequests();
  h.linear.server.clearRequests();
  h.linear.operations.length = 0;
  h.jira.server.clearRequests();
  h.fly.server.clearRequests();
}
