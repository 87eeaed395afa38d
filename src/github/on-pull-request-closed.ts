import type { Logger } from 'pino';
import type { Mapping } from '../domain/mapping.js';
import type { Run } from '../domain/run.js';
import { ACTIVE_RUN_STATUSES } from '../domain/run-status.js';
import { sumCostUsd } from '../domain/budget.js';
import { MERGE_AUDIT_ACTION, type MergedPull } from '../domain/service-levels.js';
import { ConflictError } from '../errors/index.js';
import type { GitHubAppDeps } from './github-app-deps.js';
import { pullInfoOf } from './api/pull-request-api.js';
import { resolvePrTarget } from '../orchestrator/resolve-pr-target.js';
import { pullRequestPayload } from './webhook-payloads.js';

/**
 * `pull_request.closed` on an AI-Implement PR. Merged: the ticket moves to
 * done (the mapping's `doneState` when set), its in-flight runs are cancelled
 * and its dedup entry cleared. Closed unmerged: in-flight runs are cancelled
 * and the ticket says so. Retrying any of it changes nothing more.
 */
export async function handlePullRequestClosed(deps: GitHubAppDeps, payload: unknown, log: Logger): Promise<void> {
  const parsed = pullRequestPayload.safeParse(payload);
  if (!parsed.success || parsed.data.action !== 'closed') return;
  const { repository } = parsed.data;
  const pull = pullInfoOf(repository.owner.login, repository.name, parsed.data.pull_request);
  const target = await resolvePrTarget(deps, pull, { allowTitle: false });
  if (!target.ok) return;
  const { mapping, ticket } = target;

  const active = await deps.store.runs.listActiveRuns({ issueId: ticket.issueId });
  const reason = pull.merged ? `pull request #${pull.number} was merged` : `pull request #${pull.number} was closed without merging`;
  let cancelled = 0;
  for (const run of active) if (await cancelRun(deps, run, mapping, reason)) cancelled += 1;
  const prRuns = (await deps.store.runs.listRuns({ issueId: ticket.issueId, limit: 200 })).items.filter((r) => r.prNumber === pull.number);
  await deps.feedback.discard(pull.owner, pull.repo, pull.number, prRuns);

  const tracker = deps.trackers[ticket.tracker];
  const item = tracker ? await tracker.getItem(ticket.issueId) : undefined;
  const prRef = `${pull.owner}/${pull.repo}#${pull.number}`;
  if (pull.merged) {
    if (tracker && item) {
      await tracker.transition(item, 'done', mapping.doneState);
      await tracker.ensureComment(item, `pr-merged:${prRef}`, `✅ ${prRef} was merged; AI-Implement marked this ticket done.`);
    }
    await deps.store.dedup.delete(ticket.issueId);
    await recordMerge(deps, mapping, ticket.issueId, pull.number);
  } else if (tracker && item) {
    await tracker.ensureComment(
      item,
      `pr-closed:${prRef}`,
      `${prRef} was closed without merging.${cancelled > 0 ? ` AI-Implement cancelled ${cancelled} run(s) still working on it.` : ''}`,
    );
  }
  log.info({ pr: pull.number, issue: ticket.identifier, merged: pull.merged, cancelled }, 'pull request closed');
}

/**
 * The merge as the service levels read it (merge rate, spend per merged PR):
 * an audit entry holding what the whole ticket spent by then. Redelivered
 * webhooks find the entry and add none.
 */
async function recordMerge(deps: GitHubAppDeps, mapping: Mapping, issueId: string, prNumber: number): Promise<void> {
  const repo = `${mapping.owner}/${mapping.repo}`;
  const target = `pr:${repo}#${prNumber}`;
  const recent = await deps.store.audit.list({ action: MERGE_AUDIT_ACTION, limit: 50 });
  if (recent.items.some((e) => e.target === target)) return;
  const runs = (await deps.store.runs.listRuns({ issueId, limit: 500 })).items;
  const merge: MergedPull = { mappingKey: mapping.teamKey, repo, number: prNumber, mergedAt: new Date(deps.clock()).toISOString(), ticketCostUsd: sumCostUsd(runs) };
  await deps.store.audit.append({ at: merge.mergedAt, actor: 'github', action: MERGE_AUDIT_ACTION, target, after: { ...merge, issueId } });
}

/** Stops the backend job, then records the run cancelled; losing a race to its result is fine. */
export async function cancelRun(deps: GitHubAppDeps, run: Run, mapping: Mapping, reason: string): Promise<boolean> {
  if (run.upstreamId) await deps.cancelUpstream(run, mapping);
  try {
    await deps.store.runs.updateRun(
      run.id,
      { status: 'cancelled', failureReason: `Cancelled: ${reason}`, finishedAt: new Date(deps.clock()).toISOString() },
      { expectStatus: ACTIVE_RUN_STATUSES },
    );
    return true;
  } catch (error) {
    if (error instanceof ConflictError) return false;
    throw error;
  }
}
