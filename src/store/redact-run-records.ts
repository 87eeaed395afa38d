import type { Redaction } from '../config/index.js';
import type { ClaimIntent, RunPatch, Store } from './store.js';
import { withRunRepo } from './with-run-repo.js';

/** The free-text fields of a run: what a runner, a backend's error, a ticket or a PR comment wrote. */
const RUN_TEXT = ['title', 'summary', 'failureReason', 'failedStep', 'instructions'] as const;

function redactFields<T extends Partial<Record<(typeof RUN_TEXT)[number], unknown>>>(record: T, redaction: Redaction): T {
  const out = { ...record };
  for (const field of RUN_TEXT) {
    const value = out[field];
    if (typeof value === 'string') (out as Record<string, unknown>)[field] = redaction.redact(value);
  }
  return out;
}

/**
 * The store as the services see it: every run and step is scrubbed on its
 * way in, whoever wrote it — runner text (already cleaned on arrival), a
 * dispatch failure quoting a backend's error, a step's structured output. So
 * the hot document, the history files (terminal runs are copied there as
 * stored) and every reader of the ledger hold only what the redactor let
 * through at the time; the output layers redact again for secrets learned
 * later. Ids, URLs and numbers are left as they are.
 */
export function redactRunRecords(store: Store, redaction: Redaction): Store {
  return withRunRepo(store, (runs) => ({
    claimTicket: (intent: ClaimIntent) => runs.claimTicket(redactFields(intent, redaction)),
    updateRun: (id: string, patch: RunPatch, expect) => runs.updateRun(id, redactFields(patch, redaction), expect),
    upsertStep: (step) =>
      runs.upsertStep({
        ...step,
        ...(step.output !== undefined ? { output: redaction.redactValue(step.output) } : {}),
        ...(step.logExcerpt !== undefined ? { logExcerpt: redaction.redact(step.logExcerpt) } : {}),
      }),
  }));
}
