import { randomUUID } from 'node:crypto';
import type { TrackerKind } from '../domain/mapping.js';
import type { Run } from '../domain/run.js';
import type { ReviewComment } from '../domain/runner-protocol.js';
import type { Logger } from 'pino';
import type { PullRequestApi } from '../github/api/pull-request-api.js';
import type { Store } from '../store/store.js';
import type { IssueTracker } from '../trackers/issue-tracker.js';
import { runIdFor, type RunIntent, type StartOutcome } from './claim-and-dispatch.js';
import { KeyedLock } from './keyed-lock.js';
import type { PrTarget } from './resolve-pr-target.js';

export const DEFAULT_REVIEW_DEBOUNCE_MS = 60_000;
/** Settings keys: one per PR with pending comments, one per feedback run with the comments it answers. */
export const PENDING_FEEDBACK_PREFIX = 'github.reviewFeedback:';
export const RUN_COMMENTS_PREFIX = 'github.reviewComments:';
const FLUSH_RETRY_MS = 30_000;

export interface StoredReviewComment extends ReviewComment {
  /** `c<id>` for an inline comment, `r<id>` for a review body: a redelivered comment is kept once. */
  id: string;
}

/** One PR's comments waiting for the reviewer to pause; kept in the store so a restart loses none. */
export interface PendingFeedback {
  owner: string;
  repo: string;
  prNumber: number;
  headRef: string;
  htmlUrl?: string;
  mappingKey: string;
  issueId: string;
  identifier: string;
  tracker: TrackerKind;
  title?: string;
  /** The batch's idempotency key: the run it starts is `runIdFor(batchKey)`, however often the flush is retried. */
  batchKey: string;
  comments: StoredReviewComment[];
  dueAt: number;
}

export interface Timers {
  set(fire: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const realTimers: Timers = {
  set: (fire, ms) => setTimeout(fire, ms).unref(),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface FeedbackDeps {
  store: Store;
  /** Serialises the read-modify-write of a PR's pending comments (a SharedKeyedLock with several replicas). */
  lock?: KeyedLock;
  clock: () => number;
  log: Logger;
  /** The one way a run starts (`claimAndDispatch`). */
  startRun: (intent: RunIntent) => Promise<StartOutcome>;
  trackers: Partial<Record<TrackerKind, IssueTracker>>;
  /** GitHub calls outside a webhook (a timer fired): the PR comment past the iteration cap. */
  prApi: (owner: string, repo: string) => Promise<PullRequestApi>;
  debounceMs?: number;
  timers?: Timers;
  newId?: () => string;
}

export type FlushOutcome = 'started' | 'duplicate' | 'waiting' | 'capped' | 'dropped' | 'not-due' | 'over-budget';

export function prKey(owner: string, repo: string, prNumber: number): string {
  return `${owner.toLowerCase()}/${repo.toLowerCase()}#${prNumber}`;
}

/**
 * Review comments arrive one webhook each; the reviewer is answered once.
 * Each comment pushes its PR's deadline to `debounceMs` after it; when the
 * deadline passes, every pending comment goes into ONE `review-feedback` run
 * (or, past the mapping's `maxIterations`, a PR comment and `needs-human`).
 */
export class ReviewFeedbackBatcher {
  private readonly lock: KeyedLock;
  private readonly timers: Timers;
  private readonly handles = new Map<string, unknown>();
  private stopped = false;

  constructor(private readonly deps: FeedbackDeps) {
    this.timers = deps.timers ?? realTimers;
    this.lock = deps.lock ?? new KeyedLock();
  }

  get debounceMs(): number {
    return this.deps.debounceMs ?? DEFAULT_REVIEW_DEBOUNCE_MS;
  }

  /** Adds comments to the PR's pending batch (deduplicated by id) and restarts its debounce. */
  async add(target: Extract<PrTarget, { ok: true }>, pull: { owner: string; repo: string; number: number; headRef: string; htmlUrl?: string }, comments: StoredReviewComment[]): Promise<void> {
    const key = prKey(pull.owner, pull.repo, pull.number);
    const dueAt = await this.lock.with(key, async () => {
      const { store, clock } = this.deps;
      const pending = (await store.settings.get<PendingFeedback>(PENDING_FEEDBACK_PREFIX + key)) ?? {
        owner: pull.owner,
        repo: pull.repo,
        prNumber: pull.number,
        headRef: pull.headRef,
        ...(pull.htmlUrl ? { htmlUrl: pull.htmlUrl } : {}),
        mappingKey: target.mapping.teamKey,
        issueId: target.ticket.issueId,
        identifier: target.ticket.identifier,
        tracker: target.ticket.tracker,
        ...(target.ticket.title ? { title: target.ticket.title } : {}),
        batchKey: `review-feedback:${key}:${(this.deps.newId ?? randomUUID)()}`,
        comments: [],
        dueAt: 0,
      };
      const known = new Set(pending.comments.map((c) => c.id));
      for (const comment of comments) if (!known.has(comment.id)) pending.comments.push(comment);
      pending.headRef = pull.headRef;
      pending.dueAt = clock() + this.debounceMs;
      await store.settings.set(PENDING_FEEDBACK_PREFIX + key, pending);
      return pending.dueAt;
    });
    this.schedule(key, dueAt);
  }

  /** Re-arms the timers of batches a previous process left pending. */
  async restore(): Promise<void> {
    const all = await this.deps.store.settings.all();
    for (const [name, value] of Object.entries(all)) {
      if (name.startsWith(PENDING_FEEDBACK_PREFIX)) this.schedule(name.slice(PENDING_FEEDBACK_PREFIX.length), (value as PendingFeedback).dueAt);
    }
  }

  /** Flushes every batch whose debounce has passed (what the timers call; tests call it after moving the clock). */
  async flushDue(): Promise<Record<string, FlushOutcome>> {
    const all = await this.deps.store.settings.all();
    const out: Record<string, FlushOutcome> = {};
    for (const name of Object.keys(all)) {
      if (!name.startsWith(PENDING_FEEDBACK_PREFIX)) continue;
      const key = name.slice(PENDING_FEEDBACK_PREFIX.length);
      out[key] = await this.flush(key);
    }
    return out;
  }

  async pending(owner: string, repo: string, prNumber: number): Promise<PendingFeedback | undefined> {
    return this.deps.store.settings.get<PendingFeedback>(PENDING_FEEDBACK_PREFIX + prKey(owner, repo, prNumber));
  }

  /** Forgets a PR's pending comments and the comments kept for its runs (the PR closed). */
  async discard(owner: string, repo: string, prNumber: number, runs: readonly Run[]): Promise<void> {
    const key = prKey(owner, repo, prNumber);
    await this.lock.with(key, async () => {
      await this.deps.store.settings.delete(PENDING_FEEDBACK_PREFIX + key);
      for (const run of runs) if (run.phase === 'review-feedback') await this.deps.store.settings.delete(RUN_COMMENTS_PREFIX + run.id);
    });
    const handle = this.handles.get(key);
    if (handle !== undefined) this.timers.clear(handle);
    this.handles.delete(key);
  }

  /** What the job spec carries for a `review-feedback` run: every comment of its batch, with file and line. */
  async commentsFor(run: Run): Promise<ReviewComment[]> {
    const stored = (await this.deps.store.settings.get<StoredReviewComment[]>(RUN_COMMENTS_PREFIX + run.id)) ?? [];
    return stored.map(({ id: _id, ...comment }) => comment);
  }

  stop(): void {
    this.stopped = true;
    for (const handle of this.handles.values()) this.timers.clear(handle);
    this.handles.clear();
  }

  private schedule(key: string, dueAt: number): void {
    if (this.stopped) return;
    const previous = this.handles.get(key);
    if (previous !== undefined) this.timers.clear(previous);
    const handle = this.timers.set(() => {
      this.handles.delete(key);
      this.flush(key).catch((error: unknown) => {
        this.deps.log.warn({ err: error, pr: key }, 'review feedback could not be started; retrying');
        this.schedule(key, this.deps.clock() + FLUSH_RETRY_MS);
      });
    }, Math.max(0, dueAt - this.deps.clock()));
    this.handles.set(key, handle);
  }

  private flush(key: string): Promise<FlushOutcome> {
    return this.lock.with(key, async () => {
      const { store, clock } = this.deps;
      const pending = await store.settings.get<PendingFeedback>(PENDING_FEEDBACK_PREFIX + key);
      if (!pending) return 'dropped';
      if (pending.dueAt > clock()) return 'not-due';
      const mapping = await store.mappings.get(pending.mappingKey);
      // No mapping any more, or a changes-requested review whose inline comments never came: nothing to answer.
      if (!mapping || pending.comments.length === 0) {
        await store.settings.delete(PENDING_FEEDBACK_PREFIX + key);
        return 'dropped';
      }
      const runId = runIdFor(pending.batchKey);
      const resumed = (await store.runs.getRun(runId)) !== undefined;
      if (!resumed && (await this.iterationsOf(pending)) >= mapping.maxIterations) {
        await this.refuseOverCap(pending, mapping.maxIterations);
        await store.settings.delete(PENDING_FEEDBACK_PREFIX + key);
        return 'capped';
      }
      // The comments are durable before the run exists, so its job spec can never miss them.
      await store.settings.set(RUN_COMMENTS_PREFIX + runId, pending.comments);
      const outcome = await this.deps.startRun({
        kind: 'pull',
        ticket: { issueId: pending.issueId, identifier: pending.identifier, tracker: pending.tracker, ...(pending.title ? { title: pending.title } : {}) },
        mapping,
        pull: { owner: pending.owner, repo: pending.repo, number: pending.prNumber, headRef: pending.headRef, ...(pending.htmlUrl ? { htmlUrl: pending.htmlUrl } : {}) },
        phase: 'review-feedback',
        triggerSource: 'review',
        instructions: `Address the ${pending.comments.length} review comment(s) on pull request #${pending.prNumber}.`,
        dedupKey: pending.batchKey,
      });
      if (outcome.kind === 'busy' || outcome.kind === 'disabled') {
        // The previous feedback run is still working (or nothing may start yet): this batch waits rather than racing it on the branch.
        pending.dueAt = clock() + this.debounceMs;
        await store.settings.set(PENDING_FEEDBACK_PREFIX + key, pending);
        this.schedule(key, pending.dueAt);
        return 'waiting';
      }
      await store.settings.delete(PENDING_FEEDBACK_PREFIX + key);
      return outcome.kind;
    });
  }

  /** Feedback runs this PR has had (cancelled ones did no work and do not count). */
  private async iterationsOf(pending: PendingFeedback): Promise<number> {
    let count = 0;
    let cursor: string | undefined;
    for (;;) {
      const page = await this.deps.store.runs.listRuns({ issueId: pending.issueId, limit: 100, ...(cursor ? { cursor } : {}) });
      count += page.items.filter((r) => r.phase === 'review-feedback' && r.prNumber === pending.prNumber && r.status !== 'cancelled' && !r.shadowOf).length;
      if (!page.nextCursor) return count;
      cursor = page.nextCursor;
    }
  }

  private async refuseOverCap(pending: PendingFeedback, maxIterations: number): Promise<void> {
    const api = await this.deps.prApi(pending.owner, pending.repo);
    await api.ensureComment(
      pending.prNumber,
      `iteration-cap:${pending.prNumber}`,
      `✋ AI-Implement has already made ${maxIterations} review-feedback iteration(s) on this pull request, the project's limit, so it did not start another. A human needs to take it from here.`,
    );
    const tracker = this.deps.trackers[pending.tracker];
    const item = tracker ? await tracker.getItem(pending.issueId) : undefined;
    if (tracker && item) {
      await tracker.addMarker(item, 'needs-human');
      await tracker.ensureComment(
        item,
        `iteration-cap:${pending.owner}/${pending.repo}#${pending.prNumber}`,
        `⚠️ AI-Implement reached the review iteration limit (${maxIterations}) on ${pending.owner}/${pending.repo}#${pending.prNumber}; the latest review comments need a human.`,
      );
    }
    this.deps.log.warn({ pr: pending.prNumber, issue: pending.identifier, maxIterations }, 'review feedback past the iteration cap');
  }
}
