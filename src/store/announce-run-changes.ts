import type { RunRepo, Store } from './store.js';

/**
 * The store as the services see it, telling `announce` the id of every run
 * a write changed (claim, update, step, delete) once the write is durable.
 * Every writer goes through here, whichever replica it runs on, so a live
 * run page (the SSE route, on any replica) hears of progress without polling.
 * A failed announcement loses only the push: the page's slow poll catches up.
 */
export function announceRunChanges(store: Store, announce: (runId: string) => void): Store {
  const runs: RunRepo = store.runs;
  const announced: RunRepo = {
    ...bind(runs),
    claimTicket: async (intent) => {
      const result = await runs.claimTicket(intent);
      if (result.claimed) announce(result.run.id);
      return result;
    },
    updateRun: async (id, patch, expect) => {
      const run = await runs.updateRun(id, patch, expect);
      announce(id);
      return run;
    },
    upsertStep: async (step) => {
      const stored = await runs.upsertStep(step);
      announce(step.runId);
      return stored;
    },
    deleteRun: async (id) => {
      const deleted = await runs.deleteRun(id);
      if (deleted) announce(id);
      return deleted;
    },
  };
  return {
    get isOpen() {
      return store.isOpen;
    },
    open: () => store.open(),
    close: () => store.close(),
    mappings: store.mappings,
    runs: announced,
    dedup: store.dedup,
    inbox: store.inbox,
    tokens: store.tokens,
    settings: store.settings,
    secrets: store.secrets,
    adminSessions: store.adminSessions,
    reaper: store.reaper,
    audit: store.audit,
  };
}

function bind(runs: RunRepo): RunRepo {
  return {
    claimTicket: (intent) => runs.claimTicket(intent),
    updateRun: (id, patch, expect) => runs.updateRun(id, patch, expect),
    getRun: (id) => runs.getRun(id),
    listActiveRuns: (filter) => runs.listActiveRuns(filter),
    listRuns: (query) => runs.listRuns(query),
    countRuns: (query) => runs.countRuns(query),
    stats: () => runs.stats(),
    upsertStep: (step) => runs.upsertStep(step),
    listSteps: (runId) => runs.listSteps(runId),
    deleteRun: (id) => runs.deleteRun(id),
  };
}
