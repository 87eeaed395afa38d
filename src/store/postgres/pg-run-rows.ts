import type { Run } from '../../domain/run.js';
import { jsonParam, timeParam } from './pg-context.js';

/** The columns of `runs`, in the order `runValues` fills them ($1…$16). */
export const RUN_COLUMNS =
  'id, issue_id, phase, status, attempt, mapping_key, backend, runner_mode, trigger_source, shadow_of, created_at, updated_at, finished_at, owner, runtime, run';

/** `$1, …, $16` for an INSERT of RUN_COLUMNS. */
export const RUN_PLACEHOLDERS = Array.from({ length: RUN_COLUMNS.split(', ').length }, (_, i) => `$${i + 1}`).join(', ');

/** Every column of `runs` from the run document, so the copies never drift from it. */
export function runValues(run: Run): unknown[] {
  return [
    run.id,
    run.issueId,
    run.phase,
    run.status,
    run.attempt,
    run.mappingKey,
    run.backend,
    run.runnerMode,
    run.triggerSource,
    run.shadowOf ?? null,
    timeParam(run.createdAt),
    timeParam(run.updatedAt),
    timeParam(run.finishedAt),
    run.owner ?? null,
    run.agent?.runtime ?? null,
    jsonParam(run),
  ];
}

/** `SET` list for an UPDATE of every column but the id ($1), from `runValues`. */
export const RUN_UPDATE_SET = RUN_COLUMNS.split(', ')
  .map((column, i) => (i === 0 ? undefined : `${column} = $${i + 1}`))
  .filter((s): s is string => s !== undefined)
  .join(', ');
