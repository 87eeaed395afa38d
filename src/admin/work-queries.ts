import type { Run } from '../domain/run.js';
import type { IntakeCycleResult } from '../orchestrator/intake-cycle.js';
import type { Store } from '../store/store.js';
import { buildBlockersView, buildIssuesView, buildPullsView, type BlockersView, type IssuesView, type PullRow } from './work-views.js';

export interface WorkQueriesDeps {
  store: Store;
  clock: () => number;
  /** The poller's latest full cycle (undefined before the first one). */
  latestCycle: () => IntakeCycleResult | undefined;
}

export interface PullsQuery {
  /** How far back runs are read (default 30). */
  days?: number;
  /** At most this many runs are read, newest first (default 5,000); `truncated` says when the window held more. */
  maxRuns?: number;
}

export interface PullsResult {
  pulls: PullRow[];
  days: number;
  runsScanned: number;
  /** More runs fell inside the window than one request reads. */
  truncated: boolean;
}

/** The one place the Work data is read: `GET /api/issues|pulls|blockers` and the `/admin` panels call these. */
export interface WorkQueries {
  issues(): Promise<IssuesView>;
  pulls(query?: PullsQuery): Promise<PullsResult>;
  blockers(): BlockersView;
}

export const DEFAULT_PULLS_DAYS = 30;
/** Recent runs read for the Issues view: last runs per ticket, and the tickets the last poll no longer returns. */
const ISSUE_HISTORY_RUNS = 500;
/** PRs are found by walking recent runs; this bounds one request's work on a large ledger. */
export const PULLS_MAX_RUNS_SCANNED = 5_000;
const PAGE = 500;
const DAY_MS = 86_400_000;

export function createWorkQueries(deps: WorkQueriesDeps): WorkQueries {
  const { store, clock } = deps;
  return {
    async issues() {
      const [mappings, stats, history] = await Promise.all([store.mappings.list(), store.runs.stats(), store.runs.listRuns({ limit: ISSUE_HISTORY_RUNS })]);
      return buildIssuesView(deps.latestCycle(), mappings, stats.inProgressByMapping, history.items);
    },

    async pulls(query = {}) {
      const days = query.days ?? DEFAULT_PULLS_DAYS;
      const maxRuns = query.maxRuns ?? PULLS_MAX_RUNS_SCANNED;
      const now = clock();
      const runs: Run[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.runs.listRuns({ from: now - days * DAY_MS, limit: Math.min(PAGE, maxRuns - runs.length), ...(cursor ? { cursor } : {}) });
        runs.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor && runs.length < maxRuns);
      const mappings = await store.mappings.list();
      return { pulls: buildPullsView(runs, deps.latestCycle(), now, mappings), days, runsScanned: runs.length, truncated: cursor !== undefined };
    },

    blockers() {
      return buildBlockersView(deps.latestCycle());
    },
  };
}
