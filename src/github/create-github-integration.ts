import type { Logger } from 'pino';
import type { ApplicationFunction } from 'probot';
import type { Mapping, TrackerKind } from '../domain/mapping.js';
import type { Run, RunBackend } from '../domain/run.js';
import type { ReviewComment } from '../domain/runner-protocol.js';
import { NotFoundError } from '../errors/index.js';
import type { RunIntent, StartOutcome } from '../orchestrator/claim-and-dispatch.js';
import type { DeliveryHandler } from '../orchestrator/inbox-worker.js';
import type { SettleDeps } from '../orchestrator/settle-run-outcome.js';
import type { RunnerBackend } from '../runners/runner-backend.js';
import type { Store } from '../store/store.js';
import type { IssueTracker } from '../trackers/issue-tracker.js';
import { createGitHubApp } from './github-app.js';
import type { GitHubAppClient } from './api/github-app-client.js';
import type { GitHubAppDeps } from './github-app-deps.js';
import { createGitHubDeliveryHandler } from './github-delivery-handler.js';
import { KeyedLock } from '../orchestrator/keyed-lock.js';
import { createPullRequestApi, type PullInfo, type PullRequestApi } from './api/pull-request-api.js';
import { mappingsForRepo, resolvePrTarget, type PrTarget } from '../orchestrator/resolve-pr-target.js';
import { RecentKeys } from './recent-keys.js';
import { ReviewFeedbackBatcher, type Timers } from '../orchestrator/review-feedback.js';
import { startGapFill, type GapFillOutcome, type GapFillRequest } from '../orchestrator/start-gap-fill.js';

export interface GitHubIntegrationOptions {
  store: Store;
  trackers: Partial<Record<TrackerKind, IssueTracker>>;
  clock: () => number;
  log: Logger;
  /** Unset without App credentials: no webhook handling, and `/trigger/gap-fill` cannot read PRs. */
  github: GitHubAppClient | undefined;
  settle: SettleDeps;
  backends: Partial<Record<RunBackend, RunnerBackend>>;
  /** The one way a run starts (`claimAndDispatch`). */
  startRun: (intent: RunIntent) => Promise<StartOutcome>;
  reviewDebounceMs?: number;
  timers?: Timers;
  newId?: () => string;
  /** The process's redactor: every pull request comment is scrubbed with it before it is posted. */
  redact?: (text: string) => string;
  /** Serialises read-modify-written settings (pending review comments, reachable repositories); shared across replicas when given a SharedKeyedLock. */
  locks?: KeyedLock;
}

/** What `/trigger/gap-fill` needs: look things up without side effects, then start through the one gap-fill path. */
export interface GapFillTrigger {
  mappingsFor(owner: string, repo: string): Promise<Mapping[]>;
  findPull(owner: string, repo: string, prNumber: number): Promise<PullInfo | undefined>;
  resolve(pull: PullInfo): Promise<PrTarget>;
  start(request: Omit<GapFillRequest, 'via'>): Promise<GapFillOutcome>;
}

export interface GitHubIntegration {
  deps: GitHubAppDeps;
  appFn: ApplicationFunction;
  /** The inbox handler for `github` deliveries (unset without App credentials). */
  handler: DeliveryHandler | undefined;
  feedback: ReviewFeedbackBatcher;
  trigger: GapFillTrigger | undefined;
  reviewCommentsFor: (run: Run) => Promise<ReviewComment[]>;
  /** Re-arms the review batches a restart left pending. */
  start: () => void;
  stop: () => void;
}

/** Builds the GitHub side of the orchestrator from the composition root's pieces. */
export function createGitHubIntegration(options: GitHubIntegrationOptions): GitHubIntegration {
  const { store, trackers, clock, github } = options;
  const log = options.log.child({ component: 'github-app' });
  const prApi = async (owner: string, repo: string): Promise<PullRequestApi> => {
    if (!github) throw new Error('GitHub App credentials are not configured');
    return createPullRequestApi(await github.repoOctokit(owner, repo), owner, repo, options.redact);
  };
  const launch = { store, trackers, clock, log, startRun: options.startRun };
  const locks = options.locks ?? new KeyedLock();
  const feedback = new ReviewFeedbackBatcher({
    ...launch,
    prApi,
    lock: locks,
    ...(options.reviewDebounceMs !== undefined ? { debounceMs: options.reviewDebounceMs } : {}),
    ...(options.timers ? { timers: options.timers } : {}),
    ...(options.newId ? { newId: options.newId } : {}),
  });
  const deps: GitHubAppDeps = {
    ...launch,
    settle: options.settle,
    feedback,
    cancelUpstream: async (run, mapping) => {
      if (run.upstreamId) await options.backends[run.backend]?.cancel(run.upstreamId, mapping);
    },
    handledCommands: new RecentKeys(),
    locks,
    ...(options.redact ? { redact: options.redact } : {}),
  };
  const appFn = createGitHubApp(deps);

  const trigger: GapFillTrigger | undefined = github
    ? {
        mappingsFor: async (owner, repo) => mappingsForRepo(await store.mappings.list(), owner, repo),
        findPull: async (owner, repo, prNumber) => {
          try {
            return await (await prApi(owner, repo)).getPull(prNumber);
          } catch (error) {
            // The app is not installed on that repository: to the caller, an unknown PR.
            if (error instanceof NotFoundError) return undefined;
            throw error;
          }
        },
        resolve: (pull) => resolvePrTarget(deps, pull, { allowTitle: true }),
        start: async (request) => {
          const outcome = await startGapFill(deps, { ...request, via: 'trigger' });
          if (outcome.kind === 'started' && request.commentId !== undefined) {
            // The acknowledgement is a courtesy; the run has started either way.
            const commentId = request.commentId;
            await prApi(request.pull.owner, request.pull.repo)
              .then((api) => api.reactToIssueComment(commentId, 'eyes'))
              .catch((error: unknown) => log.warn({ err: error, commentId }, 'could not react to the trigger comment'));
          }
          return outcome;
        },
      }
    : undefined;

  return {
    deps,
    appFn,
    handler: github ? createGitHubDeliveryHandler(github.probot, appFn) : undefined,
    feedback,
    trigger,
    reviewCommentsFor: (run) => feedback.commentsFor(run),
    start: () => {
      feedback.restore().catch((error: unknown) => log.error({ err: error }, 'could not restore pending review feedback'));
    },
    stop: () => feedback.stop(),
  };
}
