import type { Logger } from 'pino';
import type { Run } from '../domain/run.js';
import { SUCCESSFUL_RUN_STATUSES, UNSUCCESSFUL_RUN_STATUSES } from '../domain/run-status.js';
import { oneLine } from '../domain/sanitize-agent-text.js';
import type { Store } from '../store/store.js';
import type { IssueTracker } from '../trackers/issue-tracker.js';

/** The failure's first line: the rest (an agent CLI's log, cleaned on arrival) is on the run's status comment. */
function lastFailureLine(reason: string | undefined): string {
  const first = oneLine(reason?.split('\n')[0] ?? '');
  return first === '' ? 'unknown' : first.length > 300 ? `${first.slice(0, 300)}…` : first;
}

export interface SettleDeps {
  store: Store;
  trackers: Partial<Record<Run['tracker'], IssueTracker>>;
  clock: () => number;
  log: Logger;
  /** Failed runs retried before the ticket needs a human (default 2). */
  retryLimit: number;
  dedupWindowMs: number;
  /** Wait before the n-th retry (n ≥ 1). */
  retryBackoffMs?: (failures: number) => number;
  /**
   * Writes the end of a run that got no result on its ticket (status comment,
   * busy marker); a result's own writes are the finisher's. Unset, the ticket is left as it is.
   */
  announceEnd?: (run: Run) => Promise<string[]>;
}

/** 2 min, 8 min, 32 min … capped at 2 h: long enough for a flaky dependency to recover. */
export function defaultRetryBackoffMs(failures: number): number {
  return Math.min(2 * 60_000 * 4 ** Math.max(0, failures - 1), 2 * 3_600_000);
}

/**
 * Failed primary runs of the ticket since its last success, newest first. The
 * run history is the source: a dedup row expires, the history does not.
 */
async function consecutiveFailures(store: Store, issueId: string): Promise<number> {
  let failures = 0;
  let cursor: string | undefined;
  for (;;) {
    const page = await store.runs.listRuns({ issueId, limit: 20, ...(cursor ? { cursor } : {}) });
    for (const run of page.items) {
      if (run.shadowOf || run.status === 'cancelled') continue;
      if (!UNSUCCESSFUL_RUN_STATUSES.includes(run.status)) return failures;
      failures += 1;
    }
    if (!page.nextCursor) return failures;
    cursor = page.nextCursor;
  }
}

/**
 * What a finished run means for its ticket's next dispatch. A failure shortens
 * the dedup entry to a back-off so the planner retries it, counting failures;
 * past the retry limit the ticket gets a `needs-human` marker and a comment,
 * and the planner reports `retry-limit`. A success ends the streak. Shadow
 * legs never touch the ticket or the ledger.
 */
export async function settleRunOutcome(deps: SettleDeps, run: Run): Promise<void> {
  if (run.shadowOf || !(UNSUCCESSFUL_RUN_STATUSES.includes(run.status) || SUCCESSFUL_RUN_STATUSES.includes(run.status))) return;
  const now = deps.clock();
  const entry = await deps.store.dedup.get(run.issueId);
  if (entry && entry.runId !== run.id) return; // a newer dispatch owns the ledger row

  if (SUCCESSFUL_RUN_STATUSES.includes(run.status)) return;

  const failures = await consecutiveFailures(deps.store, run.issueId);
  const exhausted = failures > deps.retryLimit;
  const backoff = (deps.retryBackoffMs ?? defaultRetryBackoffMs)(failures);
  await deps.store.dedup.put(run.issueId, {
    identifier: run.identifier,
    ...(run.title ? { title: run.title } : {}),
    runId: run.id,
    dispatchedAt: entry?.dispatchedAt ?? run.createdAt,
    expiresAt: new Date(now + (exhausted ? deps.dedupWindowMs : backoff)).toISOString(),
    failures,
    dispatchNumber: run.dispatchNumber,
    phase: run.phase,
  });
  await deps.store.audit.append({
    at: new Date(now).toISOString(),
    actor: 'orchestrator',
    action: exhausted ? 'dispatch.retry-limit' : 'dispatch.retry-scheduled',
    target: run.id,
    after: { issue: run.identifier, failures, retryLimit: deps.retryLimit, ...(exhausted ? {} : { retryAt: new Date(now + backoff).toISOString() }) },
  });
  if (!exhausted) return;

  const tracker = deps.trackers[run.tracker];
  const item = tracker ? await tracker.getItem(run.issueId) : undefined;
  if (!tracker || !item) return;
  await tracker.addMarker(item, 'needs-human');
  await tracker.ensureComment(
    item,
    `retry-limit:${run.issueId}`,
    `⚠️ AI-Implement gave up on this ticket after ${failures} failed runs (the limit is ${deps.retryLimit} retries). Last failure: ${lastFailureLine(run.failureReason)}${run.failedStep ? ` (step ${run.failedStep})` : ''}.\n\nRemove the needs-human marker and clear the ticket from the dedup window to try again.`,
  );
  deps.log.warn({ runId: run.id, issue: run.identifier, failures }, 'ticket reached the retry limit');
}
