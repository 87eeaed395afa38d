import type { Logger } from 'pino';
import type { Run, RunStatus } from '../domain/run.js';
import { isTerminal } from '../domain/run-status.js';
import type { ProgressBody, RunnerTokenClaims } from '../domain/runner-protocol.js';
import type { WorkItem } from '../domain/work-item.js';
import { ConflictError, NotFoundError } from '../errors/index.js';
import type { Clock, Store } from '../store/store.js';
import type { Trackers } from './pending-ticket-writes.js';
import { cleanProgressBody } from './clean-runner-text.js';
import { RunnerRefusal } from './runner-tokens.js';
import type { BudgetGuard } from './budget-guard.js';
import { renderStatusComment, statusCommentKey, type PlannedStep } from './status-comment.js';

export type Redact = (text: string) => string;

export interface RunStatusPublisherOptions {
  store: Store;
  trackers: Trackers;
  clock: Clock;
  log: Logger;
  redact: Redact;
  /** Least time between two edits of one run's status comment (default 5 s). */
  throttleMs?: number;
  /** Runs whose plan and step titles are kept in memory; the oldest is forgotten past this (default 1,000). */
  maxTrackedRuns?: number;
}

/** Keeps one status comment per run on its ticket, edited in place. */
export interface RunStatusPublisher {
  rememberSteps(runId: string, planned: readonly PlannedStep[] | undefined, titles: ReadonlyArray<{ id: string; title?: string | undefined }>): void;
  /** Edits the comment unless it was edited less than the throttle ago; resolves with warnings. */
  publishProgress(run: Run): Promise<string[]>;
  /** The redacted comment body for a run's current state (the finisher writes the final one). */
  render(run: Run): Promise<string>;
  forget(runId: string): void;
}

interface RunMemory {
  planned: PlannedStep[];
  titles: Map<string, string>;
  item?: WorkItem;
  lastWriteAt?: number;
}

/**
 * Plans, step titles and the throttle live in memory: after a restart the
 * checklist falls back to the steps in the store, and the final comment is
 * written on result whatever the throttle says.
 */
export function createRunStatusPublisher(options: RunStatusPublisherOptions): RunStatusPublisher {
  const { store, trackers, clock, log, redact } = options;
  const throttleMs = options.throttleMs ?? 5_000;
  const maxTrackedRuns = options.maxTrackedRuns ?? 1_000;
  const runs = new Map<string, RunMemory>();

  function memoryOf(runId: string): RunMemory {
    let memory = runs.get(runId);
    if (!memory) {
      memory = { planned: [], titles: new Map() };
      runs.set(runId, memory);
      if (runs.size > maxTrackedRuns) {
        const oldest = runs.keys().next().value;
        if (oldest !== undefined) runs.delete(oldest);
      }
    }
    return memory;
  }

  async function render(run: Run): Promise<string> {
    const memory = runs.get(run.id);
    const steps = await store.runs.listSteps(run.id);
    const finished = isTerminal(run.status) && run.finishedAt ? Date.parse(run.finishedAt) : undefined;
    const body = renderStatusComment({
      runId: run.id,
      identifier: run.identifier,
      phase: run.phase,
      status: run.status,
      attempt: run.attempt,
      plannedSteps: memory?.planned ?? [],
      steps: steps.map((s) => {
        const title = memory?.titles.get(s.id);
        return { id: s.id, type: s.type, status: s.status, ...(s.parentId ? { parentId: s.parentId } : {}), ...(title ? { title } : {}) };
      }),
      startedAtMs: Date.parse(run.startedAt ?? run.createdAt),
      nowMs: finished ?? clock(),
      ...(run.prUrl ? { prUrl: run.prUrl } : {}),
      ...(run.failureReason ? { failureReason: run.failureReason } : {}),
      ...(run.failedStep ? { failedStep: run.failedStep } : {}),
      ...(run.agent ? { agent: run.agent } : {}),
      ...(run.tokens ? { tokens: run.tokens } : {}),
      ...(run.costUsd !== undefined ? { costUsd: run.costUsd } : {}),
    });
    return redact(body);
  }

  return {
    rememberSteps(runId, planned, titles) {
      const memory = memoryOf(runId);
      if (planned && planned.length > 0) memory.planned = planned.map((p) => ({ id: p.id, type: p.type, ...(p.title ? { title: p.title } : {}) }));
      for (const { id, title } of titles) if (title) memory.titles.set(id, title);
    },

    async publishProgress(run) {
      // Shadow legs are inert: they never touch the ticket.
      if (run.shadowOf) return [];
      const memory = memoryOf(run.id);
      const now = clock();
      if (memory.lastWriteAt !== undefined && now - memory.lastWriteAt < throttleMs) return [];
      // Claimed before the awaits so concurrent reports do not both write.
      memory.lastWriteAt = now;
      const tracker = trackers[run.tracker];
      if (!tracker) return [`no ${run.tracker} tracker is configured; status comment not written`];
      try {
        memory.item ??= await tracker.getItem(run.issueId);
        if (!memory.item) return [`ticket ${run.issueId} no longer exists; status comment not written`];
        await tracker.ensureComment(memory.item, statusCommentKey(run.id), await render(run));
        return [];
      } catch (error) {
        log.warn({ runId: run.id, err: error }, 'status comment update failed');
        // The next report tries again instead of waiting out the throttle.
        delete memory.lastWriteAt;
        return [`status comment not updated: ${error instanceof Error ? error.message : String(error)}`];
      }
    },

    render,

    forget(runId) {
      runs.delete(runId);
    },
  };
}

export interface ProgressRecorderOptions {
  store: Store;
  publisher: RunStatusPublisher;
  clock: Clock;
  log: Logger;
  redact: Redact;
  /** Reports one run may send per minute before 429 (default 120). */
  ratePerMinute?: number;
  /** Spend limits, checked each time a report carries usage. */
  budget?: Pick<BudgetGuard, 'checkRunning'>;
}

export interface ProgressAnswer {
  runId: string;
  attempt: number;
  status: RunStatus;
  stepsRecorded: number;
  warnings?: string[];
}

export interface ProgressRecorder {
  /** Counts a report against its run's rate; throws `rate-limited` past it. Called before the body is read. */
  admit(runId: string): void;
  record(claims: RunnerTokenClaims, body: ProgressBody): Promise<ProgressAnswer>;
}

const WINDOW_MS = 60_000;

export function createProgressRecorder(options: ProgressRecorderOptions): ProgressRecorder {
  const { store, publisher, clock, log, redact } = options;
  const limit = options.ratePerMinute ?? 120;
  // Sliding log: the times of the accepted reports of the last minute, per run.
  const windows = new Map<string, number[]>();

  function admit(runId: string): void {
    const now = clock();
    const times = (windows.get(runId) ?? []).filter((t) => t > now - WINDOW_MS);
    if (times.length >= limit) {
      windows.set(runId, times);
      const retryAfter = Math.max(1, Math.ceil(((times[0] ?? now) + WINDOW_MS - now) / 1000));
      throw new RunnerRefusal('rate-limited', `More than ${limit} progress reports in a minute for run ${runId}`, retryAfter);
    }
    times.push(now);
    windows.set(runId, times);
    // Runs that went quiet are dropped so the map does not grow with every run ever seen.
    if (windows.size > 10_000) {
      for (const [id, list] of windows) if ((list.at(-1) ?? 0) <= now - WINDOW_MS) windows.delete(id);
    }
  }

  async function record(claims: RunnerTokenClaims, raw: ProgressBody): Promise<ProgressAnswer> {
    const run = await requireCurrentRun(store, claims);
    // Step titles reach the ticket's checklist and log tails the panels: cleaned once, before either.
    const body = cleanProgressBody(raw, redact);
    const now = new Date(clock()).toISOString();
    try {
      for (const step of body.steps) {
        await store.runs.upsertStep({
          runId: run.id,
          id: step.id,
          type: step.type,
          status: step.status,
          ...(step.parentId ? { parentId: step.parentId } : {}),
          ...(step.startedAt ? { startedAt: step.startedAt } : {}),
          ...(step.finishedAt ? { finishedAt: step.finishedAt } : {}),
          ...(step.output !== undefined ? { output: step.output } : {}),
          ...(step.logExcerpt !== undefined ? { logExcerpt: step.logExcerpt } : {}),
        });
      }
      const starting = run.status === 'launching';
      const usage = body.usage;
      // The earliest report of the first model request wins: a re-dispatched attempt does not move it later.
      const firstModelRequestAt = body.firstModelRequestAt && !run.firstModelRequestAt ? { firstModelRequestAt: body.firstModelRequestAt } : {};
      let updated = await store.runs.updateRun(
        run.id,
        {
          heartbeatAt: now,
          ...(starting ? { status: 'running' as const, startedAt: run.startedAt ?? now } : {}),
          ...(usage?.costUsd !== undefined ? { costUsd: usage.costUsd } : {}),
          ...(usage?.tokens ? { tokens: usage.tokens } : {}),
          ...firstModelRequestAt,
        },
        { expectAttempt: claims.attempt },
      );
      if (usage && options.budget) {
        const breach = await options.budget.checkRunning(updated);
        if (breach) updated = (await store.runs.getRun(run.id)) ?? updated;
      }
      publisher.rememberSteps(run.id, body.plannedSteps, body.steps);
      const warnings = await publisher.publishProgress(updated);
      log.debug({ runId: run.id, attempt: claims.attempt, steps: body.steps.length }, 'progress recorded');
      return {
        runId: run.id,
        attempt: updated.attempt,
        status: updated.status,
        stepsRecorded: body.steps.length,
        ...(warnings.length > 0 ? { warnings } : {}),
      };
    } catch (error) {
      throw await explainStoreConflict(store, claims, error);
    }
  }

  return { admit, record };
}

/** The run the token is for, on the token's attempt and not finished; otherwise the refusal saying why. */
export async function requireCurrentRun(store: Store, claims: RunnerTokenClaims): Promise<Run> {
  const run = await store.runs.getRun(claims.sub);
  if (!run) throw new RunnerRefusal('run-not-found', `Run ${claims.sub} does not exist`);
  if (run.attempt !== claims.attempt) {
    throw new RunnerRefusal('stale-attempt', `Run ${run.id} is on attempt ${run.attempt}; this token is for attempt ${claims.attempt}`);
  }
  if (isTerminal(run.status)) throw new RunnerRefusal('run-finished', `Run ${run.id} already finished (${run.status})`);
  return run;
}

/**
 * The run moved on (finished, re-dispatched) between our check and our
 * write: say which, so the runner knows whether to stop or is simply late.
 */
export async function explainStoreConflict(store: Store, claims: RunnerTokenClaims, error: unknown): Promise<unknown> {
  if (error instanceof NotFoundError) return new RunnerRefusal('run-not-found', error.message);
  if (!(error instanceof ConflictError)) return error;
  const now = await store.runs.getRun(claims.sub);
  if (now && now.attempt !== claims.attempt) {
    return new RunnerRefusal('stale-attempt', `Run ${claims.sub} moved to attempt ${now.attempt}; this token is for attempt ${claims.attempt}`);
  }
  return new RunnerRefusal('run-finished', `Run ${claims.sub} changed meanwhile: ${error.message}`);
}
