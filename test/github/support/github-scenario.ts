import type { Mapping } from '../../../src/domain/mapping.js';
import type { Run, RunBackend } from '../../../src/domain/run.js';
import { renderPrMetadata } from '../../../src/domain/runner-protocol.js';
import type { Timers } from '../../../src/orchestrator/review-feedback.js';
import type { DispatchRequest, RunnerBackend, UpstreamRun } from '../../../src/runners/runner-backend.js';
import type { GitHubState } from '../../../src/sandbox/github/github-state.js';
import type { Store } from '../../../src/store/store.js';
import type { PullRequest } from '../../../src/sandbox/github/github-types.js';
import type { PullShape, RepoTarget } from './webhook-payloads.js';

/** Opens a PR in the emulator the way an agent run would: its branch, and the metadata marker in the body. */
export function openAgentPull(
  state: GitHubState,
  target: RepoTarget,
  options: { identifier: string; issueId: string; mappingKey: string; runId?: string; title?: string; headRef?: string; marker?: boolean },
): PullShape {
  const headRef = options.headRef ?? `ai-implement/${options.identifier.toLowerCase()}-do-the-thing`;
  state.setFile(target.owner, target.repo, headRef, 'CHANGE.md', `${options.identifier}\n`);
  const repo = state.requireRepo(target.owner, target.repo);
  const body =
    options.marker === false
      ? 'Implements the ticket.'
      : `Implements the ticket.\n\n${renderPrMetadata({ runId: options.runId ?? 'run-0', issueId: options.issueId, identifier: options.identifier, mappingKey: options.mappingKey })}`;
  const now = state.timestamp();
  const pull: PullRequest = {
    id: state.newId(),
    repoId: repo.id,
    number: repo.nextNumber++,
    title: options.title ?? `${options.identifier}: do the thing`,
    body,
    state: 'open',
    headRef,
    baseRef: repo.defaultBranch,
    user: state.botAccount,
    draft: false,
    merged: false,
    mergedAt: null,
    mergeCommitSha: null,
    closedHeadSha: null,
    closedAt: null,
    createdAt: now,
    updatedAt: now,
  };
  state.pulls.push(pull);
  return { number: pull.number, title: pull.title, body, headRef };
}

/**
 * The finished run that opened an agent PR, as the store holds it: a PR's
 * metadata marker is only believed when it names a stored run of its ticket,
 * mapping, branch and number. Pass the same `runId` to `openAgentPull`.
 */
export async function seedOpeningRun(
  store: Store,
  options: { runId: string; issueId: string; identifier: string; mappingKey: string; pull: Pick<PullShape, 'number' | 'headRef'>; tracker?: Run['tracker'] },
): Promise<Run> {
  const claim = await store.runs.claimTicket({
    id: options.runId,
    issueId: options.issueId,
    identifier: options.identifier,
    tracker: options.tracker ?? 'linear',
    mappingKey: options.mappingKey,
    phase: 'implement',
    backend: 'github-actions',
    runnerMode: 'default',
    triggerSource: 'poll',
  });
  if (!claim.claimed) throw new Error(`run ${options.runId} of ${options.identifier} not claimed`);
  return store.runs.updateRun(options.runId, { status: 'succeeded', prNumber: options.pull.number, branch: options.pull.headRef, finishedAt: new Date().toISOString() });
}

/** A comment a person wrote on a PR (reactions need it to exist). */
export function addPrComment(state: GitHubState, target: RepoTarget, prNumber: number, login: string, body: string): number {
  const repo = state.requireRepo(target.owner, target.repo);
  const now = state.timestamp();
  const id = state.newId();
  state.issueComments.push({ id, repoId: repo.id, issueNumber: prNumber, body, user: state.account(login), createdAt: now, updatedAt: now });
  return id;
}

export function repoTarget(state: GitHubState, owner: string, repo: string): RepoTarget {
  return { owner, repo, installationId: state.requireRepo(owner, repo).installationId };
}

/** Timers the test fires by hand, so a 60 s debounce takes no time. */
export class ManualTimers implements Timers {
  private next = 1;
  readonly pending = new Map<number, { fire: () => void; ms: number }>();

  set(fire: () => void, ms: number): unknown {
    const id = this.next++;
    this.pending.set(id, { fire, ms });
    return id;
  }

  clear(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** Fires every armed timer (their callbacks re-check the clock themselves). */
  fireAll(): number {
    const due = [...this.pending.values()];
    this.pending.clear();
    for (const t of due) t.fire();
    return due.length;
  }
}

/** A backend that records what it was asked to do, for the cancel path. */
export class RecordingBackend implements RunnerBackend {
  readonly cancelled: string[] = [];
  constructor(readonly kind: RunBackend) {}
  async dispatch(request: DispatchRequest): Promise<UpstreamRun> {
    return { upstreamId: `up-${request.runId}`, runId: request.runId, state: 'pending' };
  }
  async find(): Promise<UpstreamRun | undefined> {
    return undefined;
  }
  async cancel(upstreamId: string, _mapping: Mapping): Promise<void> {
    this.cancelled.push(upstreamId);
  }
  async listLive(): Promise<UpstreamRun[]> {
    return [];
  }
}

export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
