import { buildRunReport, hasReport, type RunReport } from '../domain/run-report.js';
import { ConflictError, NotFoundError } from '../errors/index.js';
import type { Store } from '../store/store.js';

/**
 * The one read of a run's report, for `GET /api/runs/:id/report` and the run
 * page's downloads alike. A live run has none yet: its steps and usage are
 * still arriving, so the answer is a 409 that says when to come back rather
 * than a report that changes under the reader.
 */
export async function readRunReport(store: Store, runId: string): Promise<RunReport> {
  const run = await store.runs.getRun(runId);
  if (!run) throw new NotFoundError(`There is no run ${runId}; it may have been deleted or purged from the history.`);
  if (!hasReport(run)) throw new ConflictError(`Run ${run.id} of ${run.identifier} is ${run.status}; its report is written when it finishes.`);
  return buildRunReport(run, await store.runs.listSteps(run.id));
}
