import type { Mapping } from '../domain/mapping.js';
import type { Run, RunBackend, RunStatus, TriggerSource } from '../domain/run.js';
import type { RunQuery, Store } from '../store/store.js';

export const DISPATCH_LOG_DEFAULT_LIMIT = 500;
export const DISPATCH_LOG_MAX_LIMIT = 1000;
/** The store pages runs at most this many at a time. */
const STORE_PAGE_MAX = 500;

export interface DispatchLogQuery {
  limit?: number;
  cursor?: string;
  status?: RunStatus[];
  mapping?: string;
  backend?: RunBackend;
  trigger?: TriggerSource;
  from?: number;
  to?: number;
}

/**
 * One row of the Pipelines (jobs) panel: the run plus the repository its
 * mapping points at. `instructions` (free text from a PR comment, possibly
 * long) stays out of the list; `GET /api/jobs/:jobId/steps` has it.
 */
export type DispatchLogEntry = Omit<Run, 'instructions'> & { repo?: string };

export interface DispatchLogPage {
  entries: DispatchLogEntry[];
  /** Pass back as `cursor` for the next (older) page; absent on the last page. */
  nextCursor?: string;
}

/** The dispatch log, newest first, read from the run ledger (active runs and history alike). */
export async function readDispatchLog(store: Store, query: DispatchLogQuery): Promise<DispatchLogPage> {
  const limit = Math.min(query.limit ?? DISPATCH_LOG_DEFAULT_LIMIT, DISPATCH_LOG_MAX_LIMIT);
  const filter: RunQuery = {
    ...(query.status ? { status: query.status } : {}),
    ...(query.mapping ? { mappingKey: query.mapping } : {}),
    ...(query.backend ? { backend: query.backend } : {}),
    ...(query.trigger ? { triggerSource: query.trigger } : {}),
    ...(query.from !== undefined ? { from: query.from } : {}),
    ...(query.to !== undefined ? { to: query.to } : {}),
  };
  const runs: Run[] = [];
  let cursor = query.cursor;
  // Pages above the store's own maximum are stitched from several store pages.
  do {
    const page = await store.runs.listRuns({ ...filter, limit: Math.min(STORE_PAGE_MAX, limit - runs.length), ...(cursor ? { cursor } : {}) });
    runs.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && runs.length < limit);
  const repos = repoByMapping(await store.mappings.list());
  const entries = runs.map(({ instructions: _instructions, ...run }) => {
    const repo = repos.get(run.mappingKey);
    return repo ? { ...run, repo } : run;
  });
  return cursor ? { entries, nextCursor: cursor } : { entries };
}

function repoByMapping(mappings: readonly Mapping[]): Map<string, string> {
  return new Map(mappings.map((m) => [m.teamKey, `${m.owner}/${m.repo}`]));
}
