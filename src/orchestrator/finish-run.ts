import type { Logger } from 'pino';
import { pullRequestUrlProblem } from '../domain/pull-request-url.js';
import type { Run, RunStatus } from '../domain/run.js';
import { finishedStatus } from '../domain/run-status.js';
import type { ResultBody, RunnerTokenClaims } from '../domain/runner-protocol.js';
import { ValidationError } from '../errors/index.js';
import type { Clock, RunPatch, Store } from '../store/store.js';
import { cleanResultBody } from './clean-runner-text.js';
import type { PendingTicketWrites, TicketWrite } from './pending-ticket-writes.js';
import { explainStoreConflict, requireCurrentRun, type Redact, type RunStatusPublisher } from './record-progress.js';
import { RunnerRefusal, assertSameRun } from './runner-tokens.js';
import { statusCommentKey } from './status-comment.js';

export interface RunFinisherOptions {
  store: Store;
  pending: PendingTicketWrites;
  publisher: RunStatusPublisher;
  clock: Clock;
  log: Logger;
  redact: Redact;
  /** The GitHub web root (`https://github.com`, the GHE host): a reported PR URL must be a pull request there. */
  githubWebUrl: string;
  /** Called once per finished run after the ticket writes (e.g. settleRunOutcome for retries and dedup). */
  afterFinish?: (run: Run) => Promise<void>;
}

export interface FinishAnswer {
  runId: string;
  attempt: number;
  status: RunStatus;
  /** Ticket writes that failed and wait for a retry; the result itself is recorded. */
  warnings?: string[];
}

export interface RunFinisher {
  finish(claims: RunnerTokenClaims, body: ResultBody): Promise<FinishAnswer>;
}

export function planKey(runId: string): string {
  return `run-plan:${runId}`;
}

/**
 * What the ticket should show once a run ended (decide, not do). The status
 * comment carries the PR link or the failure; a plan gets its own comment
 * because it is long and is what a person replies to.
 */
export function planResultTicketWrites(run: Run, result: ResultBody, statusComment: string, redact: Redact, options: { autoApprovePlans: boolean } = { autoApprovePlans: false }): TicketWrite[] {
  // Shadow legs are inert: the primary leg speaks for the ticket.
  if (run.shadowOf) return [];
  const base = { tracker: run.tracker, issueId: run.issueId, runId: run.id };
  const busy = run.phase === 'plan' ? 'planning' : 'working';
  const writes: TicketWrite[] = [];
  // A posted plan waits for a person unless the project approves plans itself:
  // the `planning` marker then stays, and the planner reports `planning-pending`.
  let keepBusyMarker = false;
  if (result.outcome === 'succeeded' && run.phase === 'plan') {
    if (result.plan) writes.push({ ...base, op: 'comment', key: planKey(run.id), body: redact(`### Implementation plan for ${run.identifier}\n\n${result.plan}`) });
    if (options.autoApprovePlans) writes.push({ ...base, op: 'add-marker', marker: 'plan-complete' });
    else keepBusyMarker = true;
  } else if (result.outcome === 'succeeded' && run.prUrl) {
    // Without a pull request there is nothing to review, so the ticket stays where it is.
    writes.push({ ...base, op: 'transition', target: 'ready-for-review' });
    writes.push({ ...base, op: 'add-marker', marker: 'pr-ready' });
  }
  writes.push({ ...base, op: 'comment', key: statusCommentKey(run.id), body: statusComment });
  if (!keepBusyMarker) writes.push({ ...base, op: 'remove-marker', marker: busy });
  return writes;
}

function resultPatch(run: Run, body: ResultBody, finishedAt: string): RunPatch {
  // A success with a pull request (reported now, or the PR a follow-up worked on) is `pr_opened`; a plan's is `succeeded`.
  const patch: RunPatch = { status: finishedStatus(body.outcome, run.phase === 'plan' ? undefined : (body.prUrl ?? run.prUrl)), finishedAt };
  if (body.prUrl !== undefined) patch.prUrl = body.prUrl;
  if (body.prNumber !== undefined) patch.prNumber = body.prNumber;
  if (body.branch !== undefined) patch.branch = body.branch;
  if (body.summary !== undefined) patch.summary = body.summary;
  if (body.failureReason !== undefined) patch.failureReason = body.failureReason;
  if (body.failedStep !== undefined) patch.failedStep = body.failedStep;
  if (body.costUsd !== undefined) patch.costUsd = body.costUsd;
  if (body.tokens !== undefined) patch.tokens = body.tokens;
  if (body.agent !== undefined) patch.agent = body.agent;
  return patch;
}

/**
 * A reported `prUrl` must be a pull request of the run's repository on our
 * GitHub. Checked before the token is spent, so a refused result changes
 * nothing and the runner may send a corrected one.
 */
async function assertOwnPullRequest(store: Store, githubWebUrl: string, claims: RunnerTokenClaims, body: ResultBody): Promise<void> {
  if (body.prUrl === undefined) return;
  const run = await store.runs.getRun(claims.sub);
  // An unknown run is refused after this, with its own answer.
  if (!run) return;
  const mapping = await store.mappings.get(run.mappingKey);
  const problem = pullRequestUrlProblem(body.prUrl, {
    webUrl: githubWebUrl,
    ...(mapping ? { repository: { owner: mapping.owner, repo: mapping.repo } } : {}),
    ...(body.prNumber !== undefined ? { prNumber: body.prNumber } : {}),
  });
  if (problem) throw new ValidationError(`Invalid request body: prUrl ${problem}`, 'prUrl');
}

/**
 * Records a runner's result exactly once (invariant 4): the token's jti is
 * spent before anything else changes, so of many concurrent replays one
 * finishes the run and the rest get `replayed`. Ticket writes come after the
 * run is recorded; one that fails is queued and reported as a warning.
 */
export function createRunFinisher(options: RunFinisherOptions): RunFinisher {
  const { store, pending, publisher, clock, log, redact } = options;

  return {
    async finish(claims, raw) {
      assertSameRun(claims, raw);
      await assertOwnPullRequest(store, options.githubWebUrl, claims, raw);
      // Runner text is hostile: cleaned once, here, before it is stored or reaches the ticket.
      const body = cleanResultBody(raw, redact);
      const fresh = await store.tokens.consumeTokenJti(claims.jti, claims.exp * 1000);
      if (!fresh) throw new RunnerRefusal('replayed', 'This result token was already used');
      const run = await requireCurrentRun(store, claims);
      let finished: Run;
      try {
        finished = await store.runs.updateRun(run.id, resultPatch(run, body, new Date(clock()).toISOString()), { expectAttempt: claims.attempt });
      } catch (error) {
        throw await explainStoreConflict(store, claims, error);
      }
      const runLog = log.child({ runId: run.id, attempt: claims.attempt });
      runLog.info({ outcome: body.outcome, prUrl: finished.prUrl }, 'run finished');
      let warnings: string[];
      try {
        const statusComment = await publisher.render(finished);
        const mapping = await store.mappings.get(finished.mappingKey);
        warnings = await pending.apply(planResultTicketWrites(finished, body, statusComment, redact, { autoApprovePlans: mapping?.autoApprovePlans ?? false }));
      } catch (error) {
        // The result is recorded; a failure past that point must not turn into a 5xx the runner would retry into a 409.
        runLog.error({ err: error }, 'ticket writes after the result failed');
        warnings = [`ticket writes not completed: ${error instanceof Error ? error.message : String(error)}`];
      }
      publisher.forget(run.id);
      if (options.afterFinish) {
        try {
          await options.afterFinish(finished);
        } catch (error) {
          runLog.error({ err: error }, 'after-finish hook failed');
          warnings.push(`follow-up after the result failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      return {
        runId: finished.id,
        attempt: finished.attempt,
        status: finished.status,
        ...(warnings.length > 0 ? { warnings } : {}),
      };
    },
  };
}
