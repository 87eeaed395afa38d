import type { RunRepo, Store } from './store.js';

/**
 * The same store with some run-repository calls replaced (a decorator such
 * as redaction or change announcements). Every other call, and every other
 * repository, goes to `store` unchanged, so a repository or run method added
 * later passes through without each decorator having to list it.
 */
export function withRunRepo(store: Store, override: (runs: RunRepo) => Partial<RunRepo>): Store {
  const runs = store.runs;
  const wrapped: RunRepo = {
    claimTicket: (intent) => runs.claimTicket(intent),
    leaseDueRuns: (request) => runs.leaseDueRuns(request),
    updateRun: (id, patch, expect) => runs.updateRun(id, patch, expect),
    getRun: (id) => runs.getRun(id),
    listActiveRuns: (filter) => runs.listActiveRuns(filter),
    listRuns: (query) => runs.listRuns(query),
    countRuns: (query) => runs.countRuns(query),
    stats: () => runs.stats(),
    upsertStep: (step) => runs.upsertStep(step),
    listSteps: (runId) => runs.listSteps(runId),
    deleteRun: (id) => runs.deleteRun(id),
    ...override(runs),
  };
  return new Proxy(store, {
    get: (target, property, receiver) => (property === 'runs' ? wrapped : Reflect.get(target, property, receiver)),
  });
}
