import type { Mapping } from '../domain/mapping.js';
import type { PullInfo } from '../github/api/pull-request-api.js';
import type { RunIntent, StartOutcome } from './claim-and-dispatch.js';
import { resolvePrTarget, type ResolveDeps } from './resolve-pr-target.js';

export interface GapFillDeps extends ResolveDeps {
  clock: () => number;
  /** The one way a run starts (`claimAndDispatch`). */
  startRun: (intent: RunIntent) => Promise<StartOutcome>;
}

export interface GapFillRequest {
  pull: PullInfo;
  instructions?: string;
  /** The `/ai-implement` comment; both routes that see it name the same one. */
  commentId?: number;
  /** Which route asked: the webhook of the `/ai-implement` comment, or `/trigger/gap-fill`. Recorded as the run's trigger source. */
  via: 'comment' | 'trigger';
}

export type GapFillOutcome =
  | StartOutcome
  | { kind: 'paused'; mapping: Mapping }
  | { kind: 'no-mapping' | 'no-ticket'; reason: string }
  | { kind: 'closed' };

/** `gap-fill:<owner>/<repo>#<commentId>`: what makes the webhook and `/trigger/gap-fill` start one run between them. */
export function gapFillKey(owner: string, repo: string, commentId: number): string {
  return `gap-fill:${owner.toLowerCase()}/${repo.toLowerCase()}#${commentId}`;
}

/**
 * The one code path of a gap-fill request, whichever route it came by: find
 * the PR's mapping and ticket, refuse a paused project or a closed PR, and
 * launch a `gap-fill` run on the PR's own branch.
 */
export async function startGapFill(deps: GapFillDeps, request: GapFillRequest): Promise<GapFillOutcome> {
  const { pull } = request;
  const target = await resolvePrTarget(deps, pull, { allowTitle: true });
  if (!target.ok) return { kind: target.problem, reason: target.reason };
  if (target.mapping.paused) return { kind: 'paused', mapping: target.mapping };
  if (pull.state !== 'open') return { kind: 'closed' };
  // Without a comment id (a manual trigger) only the one-live-run-per-phase rule deduplicates.
  const dedupKey =
    request.commentId !== undefined ? gapFillKey(pull.owner, pull.repo, request.commentId) : `gap-fill:${pull.owner.toLowerCase()}/${pull.repo.toLowerCase()}#pr${pull.number}@${deps.clock()}`;
  return deps.startRun({
    kind: 'pull',
    ticket: target.ticket,
    mapping: target.mapping,
    pull: { owner: pull.owner, repo: pull.repo, number: pull.number, headRef: pull.headRef, ...(pull.htmlUrl ? { htmlUrl: pull.htmlUrl } : {}) },
    phase: 'gap-fill',
    triggerSource: request.via === 'comment' ? 'pr-comment' : 'gap-fill-trigger',
    ...(request.instructions ? { instructions: request.instructions } : {}),
    dedupKey,
  });
}

/** What the PR is told, in one sentence per outcome. */
export function describeGapFill(outcome: GapFillOutcome): string {
  switch (outcome.kind) {
    case 'started':
      return `🤖 AI-Implement started a gap-fill run (${outcome.run.id}) on this branch.`;
    case 'duplicate':
      return `🤖 AI-Implement already started a run for this request (${outcome.run.id}).`;
    case 'busy':
      return `⏳ AI-Implement is already working on this pull request (run ${outcome.run.id}, ${outcome.run.status}). Comment again once it has finished.`;
    case 'disabled':
      return `AI-Implement cannot start runs right now: ${outcome.reason}.`;
    case 'over-budget':
      return `⏸️ AI-Implement did not start a gap-fill run: ${outcome.reason}.`;
    case 'paused':
      return `⏸️ AI-Implement did nothing: the project ${outcome.mapping.teamKey} is paused.`;
    case 'closed':
      return 'AI-Implement did nothing: this pull request is closed.';
    case 'no-mapping':
    case 'no-ticket':
      return `AI-Implement did nothing: ${outcome.reason}.`;
  }
}
