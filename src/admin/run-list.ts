import type { Mapping } from '../domain/mapping.js';
import { RUN_STATUSES, type Run, type RunBackend, type RunStatus, type TriggerSource } from '../domain/run.js';
import type { RunQuery, Store } from '../store/store.js';

export const RUN_LIST_DEFAULT_LIMIT = 50;
export const RUN_LIST_MAX_LIMIT = 200;

/** The filters of the run list (`GET /api/runs`, the Runs panel), in the list's own words. */
export interface RunListFilter {
  status?: RunStatus[];
  mapping?: string;
  runtime?: string;
  source?: TriggerSource;
  backend?: RunBackend;
  owner?: string;
  /** Epoch ms, createdAt >= from. */
  from?: number;
  /** Epoch ms, createdAt < to. */
  to?: number;
}

export interface RunListQuery extends RunListFilter {
  limit?: number;
  cursor?: string;
}

/** A row of the run list: the run without its free-text instructions, plus its project's repository. */
export type RunListEntry = Omit<Run, 'instructions'> & { repo?: string };

export interface RunListPage {
  runs: RunListEntry[];
  /** Runs per status over the same filters without the status one (the summary cards). */
  counts: Record<RunStatus, number>;
  /** Runs the whole filter matches, status included. */
  total: number;
  nextCursor?: string;
}

export function storeQueryOf(filter: RunListFilter): Omit<RunQuery, 'limit' | 'cursor' | 'status'> {
  return {
    ...(filter.mapping !== undefined ? { mappingKey: filter.mapping } : {}),
    ...(filter.runtime !== undefined ? { runtime: filter.runtime } : {}),
    ...(filter.source !== undefined ? { triggerSource: filter.source } : {}),
    ...(filter.backend !== undefined ? { backend: filter.backend } : {}),
    ...(filter.owner !== undefined ? { owner: filter.owner } : {}),
    ...(filter.from !== undefined ? { from: filter.from } : {}),
    ...(filter.to !== undefined ? { to: filter.to } : {}),
  };
}

/** Counts per status: one indexed count each (the stores count from their indexes, not by reading runs). */
export async function countRunsByStatus(store: Store, filter: RunListFilter): Promise<Record<RunStatus, number>> {
  const base = storeQueryOf(filter);
  const counts = await Promise.all(RUN_STATUSES.map((status) => store.runs.countRuns({ ...base, status })));
  return Object.fromEntries(RUN_STATUSES.map((status, i) => [status, counts[i]!])) as Record<RunStatus, number>;
}

/** One page of the run list, newest first, with the summary counts of its filters. */
export async function readRunList(store: Store, query: RunListQuery): Promise<RunListPage> {
  const limit = Math.min(query.limit ?? RUN_LIST_DEFAULT_LIMIT, RUN_LIST_MAX_LIMIT);
  const base = storeQueryOf(query);
  const [page, counts, mappings] = await Promise.all([
    store.runs.listRuns({ ...base, ...(query.status ? { status: query.status } : {}), limit, ...(query.cursor ? { cursor: query.cursor } : {}) }),
    countRunsByStatus(store, query),
    store.mappings.list(),
  ]);
  const wanted = query.status ? new Set(query.status) : undefined;
  const total = RUN_STATUSES.reduce((n, status) => n + (!wanted || wanted.has(status) ? counts[status] : 0), 0);
  const repos = repoByMapping(mappings);
  const runs = page.items.map(({ instructions: _instructions, ...run }) => {
    const repo = repos.get(run.mappingKey);
    return repo ? { ...run, repo } : run;
  });
  return { runs, counts, total, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
}

function repoByMapping(mappings: readonly Mapping[]): Map<string, string> {
  return new Map(mappings.map((m) => [m.teamKey, `${m.owner}/${m.repo}`]));
}
