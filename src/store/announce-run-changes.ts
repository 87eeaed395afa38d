import type { Store } from './store.js';
import { withRunRepo } from './with-run-repo.js';

/**
 * The store as the services see it, telling `announce` the id of every run
 * a write changed (claim, update, step, delete) once the write is durable.
 * Every writer goes through here, whichever replica it runs on, so a live
 * run page (the SSE route, on any replica) hears of progress without polling.
 * A failed announcement loses only the push: the page's slow poll catches up.
 */
export function announceRunChanges(store: Store, announce: (runId: string) => void): Store {
  return withRunRepo(store, (runs) => ({
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
  }));
}
