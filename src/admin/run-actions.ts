import type { Logger } from 'pino';
import type { Mapping } from '../domain/mapping.js';
import type { Run, RunBackend } from '../domain/run.js';
import { RUN_ACTION_STATUSES, runActionRefusal, type RunAction } from '../domain/run-actions.js';
import { z } from 'zod';
import type { WorkItem } from '../domain/work-item.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors/index.js';
import { validated } from './admin-commands.js';
import type { AnnounceRunEnd } from '../orchestrator/announce-run-end.js';
import type { RunIntent, StartOutcome } from '../orchestrator/claim-and-dispatch.js';
import type { PendingTicketWrites, Trackers } from '../orchestrator/pending-ticket-writes.js';
import type { RunnerBackend } from '../runners/runner-backend.js';
import type { Store } from '../store/store.js';
import { recordAdminChange } from './record-admin-change.js';
import { ownerEmailSchema, ownerFromAssignee } from '../domain/run-owner.js';
import { isTerminal } from '../domain/run-status.js';

/** Why a run's owner cannot be changed now; undefined when it can. */
function ownerChangeRefusal(run: Run): string | undefined {
  // Finished runs are kept as written (append-only history); their owner is what it was while they ran.
  return isTerminal(run.status) ? `Run ${run.id} is ${run.status}; only a live run can be reassigned.` : undefined;
}

/** The failure reason a stopped run carries (the issue's wording, shown on the run page and the ticket). */
export const STOPPED_REASON = 'Stopped via admin';

export interface RunActionsDeps {
  store: Store;
  trackers: Trackers;
  backends: Partial<Record<RunBackend, RunnerBackend>>;
  clock: () => number;
  log: Logger;
  /** The one way a run starts (`RunLoop.startRun` → `claimAndDispatch`). */
  startRun: (intent: RunIntent) => Promise<StartOutcome>;
  /** Writes the end of a run that got no result on its ticket (status comment, busy marker). */
  announceEnd?: AnnounceRunEnd;
  /** Ticket writes that fail are queued and retried each cycle. */
  pending: PendingTicketWrites;
}

export interface StoppedRun {
  run: Run;
  /** The backend job was asked to stop (false: there was none, or the backend refused; see warnings). */
  upstreamCancelled: boolean;
  warnings?: string[];
}

export interface RestartedRun {
  run: Run;
  warnings?: string[];
}

export interface RetriedRun {
  /** The new run. */
  run: Run;
  retriedFrom: string;
  warnings?: string[];
}

export interface DeletedRun {
  runId: string;
  identifier: string;
  warnings?: string[];
}

/**
 * Stop, retry and delete of one run: the `/api/runs/:id/…` routes and the run
 * page's buttons are two doors to these commands, so both check the run's
 * status, audit and write the ticket alike. `actor` is the admin session id.
 */
export interface StartedManualRun {
  run: Run;
  /** How the project was chosen: named in the request, or the one project whose scope holds the ticket. */
  mappingChosen: 'named' | 'matched';
  warnings?: string[];
}

/** `POST /api/runs`: a ticket by identifier (or id), optionally the project and phase. */
export const manualRunSchema = z
  .object({
    ticket: z.string({ error: 'ticket is required: the ticket identifier, e.g. "ENG-12"' }).trim().min(1, 'ticket is required: the ticket identifier, e.g. "ENG-12"').max(200),
    mapping: z.string().trim().min(1).max(100).optional().describe('The project (mapping teamKey); matched from the ticket when unset'),
    phase: z.enum(['implement', 'plan'], { message: 'phase must be implement or plan' }).default('implement'),
    owner: ownerEmailSchema.optional().describe('Who owns the run (an email); the ticket assignee’s email when unset, else RUN_OWNER_FALLBACK'),
  })
  .strict();
export type ManualRunInput = z.output<typeof manualRunSchema>;

/** `GET /api/tickets/search`: what the New run dialog's search box sends. */
export const ticketSearchSchema = z
  .object({
    q: z.string({ error: 'q is required: an identifier or words of a title, e.g. "ENG-12" or "footer"' }).trim().min(2, 'q must be at least 2 characters, e.g. "ENG-12" or "footer"').max(200, 'q must be at most 200 characters'),
    limit: z
      .string()
      .regex(/^\d+$/, 'limit must be a whole number from 1 to 50')
      .transform(Number)
      .pipe(z.number().int().min(1, 'limit must be at least 1').max(50, 'limit must be at most 50'))
      .optional(),
  })
  .strict();

export interface TicketSearchHit {
  tracker: Run['tracker'];
  id: string;
  identifier: string;
  title: string;
  url: string;
  stateName: string;
  /** The owner a run would get from the ticket; absent when the tracker shows no assignee email. */
  assigneeEmail?: string;
  /** Projects whose scope holds the ticket: one is matched, several need a choice. */
  mappings: string[];
}

export interface TicketSearchAnswer {
  tickets: TicketSearchHit[];
  /** Trackers that did not answer (the others' hits are still listed). */
  warnings?: string[];
}

/** `POST /api/runs/:id/owner`: an operator hands a live run to someone else. */
export const reassignOwnerSchema = z.object({ email: ownerEmailSchema.describe('The new owner, e.g. "ann@example.com"') }).strict();

export interface ReassignedRun {
  run: Run;
  previousOwner?: string;
}

/**
 * The projects whose scope holds a ticket, without the label an automatic
 * run needs: a Linear team (and project filter), or a Jira repository field.
 */
export function mappingsForTicket(item: WorkItem, mappings: readonly Mapping[]): Mapping[] {
  return mappings.filter((m) => {
    if (m.trackerKind !== item.tracker) return false;
    if (m.trackerKind === 'linear') {
      const team = m.linear?.teamKey ?? m.teamKey;
      return team === item.teamKey && (!m.linear?.projectFilter || m.linear.projectFilter === item.projectName);
    }
    return m.jira !== undefined && item.repoFieldValue !== undefined && m.jira.repoFieldValue === item.repoFieldValue;
  });
}

export interface RunActions {
  /** An operator's run for a ticket: the same start as every trigger, recorded as `manual`. */
  start(input: unknown, actor: string): Promise<StartedManualRun>;
  /**
   * `reason` replaces the operator's wording when the orchestrator itself
   * stops a run (a spend limit); such a caller writes the ticket itself.
   */
  stop(runId: string, actor: string, reason?: string): Promise<StoppedRun>;
  restart(runId: string, actor: string): Promise<RestartedRun>;
  retry(runId: string, actor: string): Promise<RetriedRun>;
  delete(runId: string, actor: string): Promise<DeletedRun>;
  /** Tickets by identifier or title across the configured trackers, each with the projects that fit it (the New run dialog). */
  searchTickets(input: unknown): Promise<TicketSearchAnswer>;
  /** Sets a live run's owner (clears `ownerFallback`), audited. */
  reassign(runId: string, input: unknown, actor: string): Promise<ReassignedRun>;
}

/** The one line each action leaves on the ticket; ids only, nothing from the run's own text. */
function lifecycleLine(action: RunAction, run: Run, newRunId?: string): string {
  switch (action) {
    case 'stop':
      return `⏹️ AI-Implement run ${run.id} (${run.phase}) was stopped by an operator.`;
    case 'restart':
      return `🔄 AI-Implement run ${run.id} (${run.phase}) was restarted by an operator.`;
    case 'retry':
      return `🔁 AI-Implement run ${run.id} (${run.phase}) was retried by an operator as run ${newRunId ?? '?'}.`;
    case 'delete':
      return `🗑️ AI-Implement run ${run.id} (${run.phase}) and its report were deleted by an operator.`;
  }
}

export function createRunActions(deps: RunActionsDeps): RunActions {
  const { store, clock } = deps;

  async function requireRun(runId: string, action: RunAction): Promise<Run> {
    const run = await store.runs.getRun(runId);
    if (!run) throw new NotFoundError(`There is no run ${runId}.`);
    const refusal = runActionRefusal(run, action);
    if (refusal) throw new ConflictError(refusal);
    return run;
  }

  /** A shadow leg is inert: its primary speaks for the ticket. */
  async function comment(action: RunAction, run: Run, newRunId?: string): Promise<string[]> {
    if (run.shadowOf) return [];
    return deps.pending.apply([{ op: 'comment', tracker: run.tracker, issueId: run.issueId, runId: run.id, key: `run-action:${action}:${run.id}`, body: lifecycleLine(action, run, newRunId) }]);
  }

  /** Asks the backend to stop the run's job; a job that is already gone is not an error. */
  async function cancelUpstream(run: Run, log: Logger): Promise<{ cancelled: boolean; warning?: string }> {
    const backend = deps.backends[run.backend];
    const mapping = await store.mappings.get(run.mappingKey);
    if (!backend || !mapping) return { cancelled: false, ...(run.upstreamId ? { warning: `the ${run.backend} job ${run.upstreamId} could not be stopped: ${backend ? `project ${run.mappingKey} no longer exists` : `${run.backend} is not configured`}` } : {}) };
    try {
      // A run still dispatching has no job id recorded yet; the backend finds it by run id.
      const upstreamId = run.upstreamId ?? (await backend.find(run.id, mapping))?.upstreamId;
      if (!upstreamId) return { cancelled: false };
      await backend.cancel(upstreamId, mapping);
      return { cancelled: true };
    } catch (error) {
      log.warn({ err: error }, 'could not stop the job of a run stopped by an operator');
      return { cancelled: false, warning: `the ${run.backend} job could not be stopped: ${error instanceof Error ? error.message : String(error)}; the reaper removes it` };
    }
  }

  async function retryIntent(run: Run, mapping: Mapping): Promise<RunIntent> {
    if (run.phase === 'gap-fill' || run.phase === 'review-feedback') {
      if (run.prNumber === undefined || !run.branch) throw new ConflictError(`Run ${run.id} has no pull request recorded, so its ${run.phase} cannot be retried.`);
      return {
        kind: 'pull',
        ticket: { issueId: run.issueId, identifier: run.identifier, tracker: run.tracker, ...(run.title ? { title: run.title } : {}) },
        mapping,
        pull: { owner: mapping.owner, repo: mapping.repo, number: run.prNumber, headRef: run.branch, ...(run.prUrl ? { htmlUrl: run.prUrl } : {}) },
        phase: run.phase,
        triggerSource: 'retry',
        retryOf: run.id,
        ...(run.instructions ? { instructions: run.instructions } : {}),
        // One retry per run: a second click finds the run the first one started.
        dedupKey: `retry:${run.id}`,
      };
    }
    const tracker = deps.trackers[run.tracker];
    if (!tracker) throw new ConflictError(`No ${run.tracker} tracker is configured, so run ${run.id} cannot be retried.`);
    const item = await tracker.getItem(run.issueId);
    if (!item) throw new ConflictError(`Ticket ${run.identifier} no longer exists, so run ${run.id} cannot be retried.`);
    return { kind: 'ticket', item, mapping, phase: run.phase, triggerSource: 'retry', retryOf: run.id };
  }

  async function findTicket(ticket: string, kinds: readonly Run['tracker'][]): Promise<WorkItem | undefined> {
    for (const kind of kinds) {
      const tracker = deps.trackers[kind];
      if (!tracker) continue;
      const item = await tracker.getItem(ticket);
      if (item) return item;
    }
    return undefined;
  }

  /** The cap and the pause, as the intake would apply them; a ticket's live run is the start's own check. */
  async function assertMayStart(mapping: Mapping, what: string): Promise<void> {
    if (mapping.paused) throw new ConflictError(`Project ${mapping.teamKey} is paused; resume it to ${what}.`);
    const inProgress = (await store.runs.listActiveRuns({ mappingKey: mapping.teamKey })).filter((r) => !r.shadowOf).length;
    if (inProgress >= mapping.maxInProgressAiIssues) {
      throw new ConflictError(`${inProgress} of ${mapping.maxInProgressAiIssues} runs are in progress for ${mapping.teamKey}; ${what} when one finishes.`);
    }
  }

  return {
    async start(input, actor) {
      const request = validated(manualRunSchema, input);
      const mappings = await store.mappings.list();
      const named = request.mapping !== undefined ? mappings.find((m) => m.teamKey === request.mapping) : undefined;
      if (request.mapping !== undefined && !named) {
        throw new ValidationError(`mapping: there is no project ${request.mapping}; use one of ${mappings.map((m) => m.teamKey).join(', ') || '(none yet)'}`, 'mapping');
      }
      const kinds = named ? [named.trackerKind] : [...new Set(mappings.map((m) => m.trackerKind))];
      const item = await findTicket(request.ticket, kinds);
      if (!item) throw new NotFoundError(`No ticket ${request.ticket} in ${kinds.length > 0 ? kinds.join(' or ') : 'any configured tracker'}.`);
      let mapping = named;
      if (!mapping) {
        const fits = mappingsForTicket(item, mappings);
        if (fits.length === 0) throw new ValidationError(`mapping: no project covers ${item.identifier} (${item.tracker} ${item.teamKey}); name one with "mapping"`, 'mapping');
        if (fits.length > 1) throw new ValidationError(`mapping: ${item.identifier} fits several projects (${fits.map((m) => m.teamKey).join(', ')}); name one with "mapping"`, 'mapping');
        mapping = fits[0]!;
      } else if (mapping.trackerKind !== item.tracker) {
        throw new ValidationError(`mapping: project ${mapping.teamKey} uses ${mapping.trackerKind}, but ${item.identifier} is a ${item.tracker} ticket`, 'mapping');
      }
      await assertMayStart(mapping, `start a run of ${item.identifier}`);
      if (request.phase === 'plan' && !mapping.planningEnabled) {
        throw new ValidationError(`phase: project ${mapping.teamKey} has planning turned off; send phase "implement", or PATCH the mapping with {"planningEnabled": true}`, 'phase');
      }
      const outcome = await deps.startRun({ kind: 'ticket', item, mapping, phase: request.phase, triggerSource: 'manual', ...(request.owner ? { owner: request.owner } : {}) });
      switch (outcome.kind) {
        case 'busy':
          throw new ConflictError(`${item.identifier} already has a live ${request.phase} run: ${outcome.run.id} (${outcome.run.status}).`);
        case 'duplicate':
          throw new ConflictError(`${item.identifier} already has run ${outcome.run.id} (${outcome.run.status}).`);
        case 'disabled':
        case 'over-budget':
          throw refusedStart(outcome);
        case 'started':
          break;
      }
      const started = (await store.runs.getRun(outcome.run.id)) ?? outcome.run;
      await recordAdminChange(store.audit, clock, {
        actor,
        action: 'run.start',
        target: `run:${started.id}`,
        after: {
          issue: item.identifier,
          mapping: mapping.teamKey,
          phase: request.phase,
          status: started.status,
          mappingChosen: named ? 'named' : 'matched',
          ...(started.owner ? { owner: started.owner, ownerFallback: started.ownerFallback === true } : {}),
        },
      });
      deps.log.info({ runId: started.id, issue: item.identifier, mapping: mapping.teamKey }, 'run started by an operator');
      return { run: started, mappingChosen: named ? 'named' : 'matched' };
    },

    async stop(runId, actor, reason) {
      const failureReason = reason ?? STOPPED_REASON;
      const run = await requireRun(runId, 'stop');
      const log = deps.log.child({ runId: run.id, issue: run.identifier });
      let stopped: Run;
      try {
        // Settled before the job is stopped: the runner's late result and the backend's exit report then find the run finished.
        stopped = await store.runs.updateRun(
          run.id,
          { status: 'failed', failureReason, failedStep: 'runner', finishedAt: new Date(clock()).toISOString() },
          { expectAttempt: run.attempt, expectStatus: RUN_ACTION_STATUSES.stop },
        );
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        const now = await store.runs.getRun(run.id);
        throw new ConflictError(now ? (runActionRefusal(now, 'stop') ?? `Run ${run.id} changed while it was being stopped (now ${now.status}, attempt ${now.attempt}); try again.`) : `There is no run ${run.id}.`);
      }
      const upstream = run.status === 'queued' ? { cancelled: false } : await cancelUpstream(run, log);
      const warnings = upstream.warning ? [upstream.warning] : [];
      try {
        warnings.push(...((await deps.announceEnd?.(stopped)) ?? []));
      } catch (error) {
        log.error({ err: error }, 'could not write the end of a stopped run on its ticket');
        warnings.push('the ticket’s status comment was not updated');
      }
      if (reason === undefined) warnings.push(...(await comment('stop', run)));
      await recordAdminChange(store.audit, clock, {
        actor,
        action: 'run.stop',
        target: `run:${run.id}`,
        before: { status: run.status, attempt: run.attempt, ...(run.upstreamId ? { upstreamId: run.upstreamId } : {}) },
        after: { status: stopped.status, failureReason, upstreamCancelled: upstream.cancelled },
      });
      log.info({ upstreamCancelled: upstream.cancelled, ...(reason ? { reason } : {}) }, reason ? 'run stopped by the orchestrator' : 'run stopped by an operator');
      return { run: stopped, upstreamCancelled: upstream.cancelled, ...(warnings.length > 0 ? { warnings } : {}) };
    },

    async restart(runId, actor) {
      const run = await requireRun(runId, 'restart');
      const backend = deps.backends[run.backend];
      const mapping = await store.mappings.get(run.mappingKey);
      if (!backend?.restart || !mapping || !run.upstreamId) {
        throw new ConflictError(`Run ${run.id} cannot be restarted: ${!mapping ? `project ${run.mappingKey} no longer exists` : !run.upstreamId ? 'its job id is not recorded yet' : `${run.backend} is not configured`}.`);
      }
      // The job keeps its id and environment, so the attempt's run tokens still serve the restarted runner.
      await backend.restart(run.upstreamId, mapping);
      const restarted = await store.runs.updateRun(run.id, {}, { expectAttempt: run.attempt });
      const warnings = await comment('restart', run);
      await recordAdminChange(store.audit, clock, {
        actor,
        action: 'run.restart',
        target: `run:${run.id}`,
        before: { status: run.status, attempt: run.attempt, upstreamId: run.upstreamId },
        after: { status: restarted.status, backend: run.backend },
      });
      deps.log.info({ runId: run.id, upstreamId: run.upstreamId, backend: run.backend }, 'run restarted by an operator');
      return { run: restarted, ...(warnings.length > 0 ? { warnings } : {}) };
    },

    async retry(runId, actor) {
      const run = await requireRun(runId, 'retry');
      const mapping = await store.mappings.get(run.mappingKey);
      if (!mapping) throw new ConflictError(`Project ${run.mappingKey} no longer exists, so run ${run.id} cannot be retried.`);
      await assertMayStart(mapping, `retry run ${run.id}`);
      const outcome = await deps.startRun(await retryIntent(run, mapping));
      switch (outcome.kind) {
        case 'busy':
          throw new ConflictError(`Run ${outcome.run.id} of ${run.identifier} is ${outcome.run.status}; only one ${run.phase} run of a ticket may be live.`);
        case 'duplicate':
          throw new ConflictError(`Run ${run.id} was already retried as run ${outcome.run.id} (${outcome.run.status}).`);
        case 'disabled':
        case 'over-budget':
          throw refusedStart(outcome);
        case 'started':
          break;
      }
      // The claim answered the run as claimed; the dispatch has moved it on since.
      const started = (await store.runs.getRun(outcome.run.id)) ?? outcome.run;
      const warnings = await comment('retry', run, started.id);
      await recordAdminChange(store.audit, clock, {
        actor,
        action: 'run.retry',
        target: `run:${run.id}`,
        before: { status: run.status, attempt: run.attempt },
        after: { runId: started.id, status: started.status, triggerSource: started.triggerSource },
      });
      deps.log.info({ runId: run.id, newRunId: started.id, issue: run.identifier }, 'run retried by an operator');
      return { run: started, retriedFrom: run.id, ...(warnings.length > 0 ? { warnings } : {}) };
    },

    async searchTickets(input) {
      const { q, limit = 10 } = validated(ticketSearchSchema, input);
      const mappings = await store.mappings.list();
      const kinds = (['linear', 'jira'] as const).filter((k) => deps.trackers[k] !== undefined);
      const warnings: string[] = [];
      const found = await Promise.all(
        kinds.map(async (kind) => {
          try {
            return await deps.trackers[kind]!.searchItems(q, limit);
          } catch (error) {
            deps.log.warn({ err: error, tracker: kind }, 'ticket search failed');
            warnings.push(`${kind} did not answer the search`);
            return [];
          }
        }),
      );
      const tickets = found.flat().slice(0, limit * kinds.length).map((item): TicketSearchHit => {
        const assigneeEmail = ownerFromAssignee(item.assigneeEmail);
        return {
          tracker: item.tracker,
          id: item.id,
          identifier: item.identifier,
          title: item.title,
          url: item.url,
          stateName: item.stateName,
          ...(assigneeEmail ? { assigneeEmail } : {}),
          mappings: mappingsForTicket(item, mappings).map((m) => m.teamKey),
        };
      });
      return { tickets, ...(warnings.length > 0 ? { warnings } : {}) };
    },

    async reassign(runId, input, actor) {
      const { email } = validated(reassignOwnerSchema, input);
      const run = await store.runs.getRun(runId);
      if (!run) throw new NotFoundError(`There is no run ${runId}.`);
      const refusal = ownerChangeRefusal(run);
      if (refusal) throw new ConflictError(refusal);
      let updated: Run;
      try {
        // Only the owner fields change; the status must still be the one checked, so a run that just finished is refused rather than patched.
        // An undefined field is dropped from the stored run: a named owner is not a fallback.
        updated = await store.runs.updateRun(run.id, { owner: email, ownerFallback: undefined }, { expectStatus: run.status });
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        const now = await store.runs.getRun(run.id);
        throw new ConflictError((now && ownerChangeRefusal(now)) ?? `Run ${run.id} changed while its owner was being set; try again.`);
      }
      await recordAdminChange(store.audit, clock, {
        actor,
        action: 'run.owner',
        target: `run:${run.id}`,
        before: { owner: run.owner ?? null, ownerFallback: run.ownerFallback === true },
        after: { owner: email, ownerFallback: false },
      });
      deps.log.info({ runId: run.id, issue: run.identifier }, 'run reassigned by an operator');
      return { run: updated, ...(run.owner ? { previousOwner: run.owner } : {}) };
    },

    async delete(runId, actor) {
      const run = await requireRun(runId, 'delete');
      if (!(await store.runs.deleteRun(run.id))) throw new NotFoundError(`There is no run ${run.id}.`);
      const warnings = await comment('delete', run);
      await recordAdminChange(store.audit, clock, {
        actor,
        action: 'run.delete',
        target: `run:${run.id}`,
        before: {
          issue: run.identifier,
          phase: run.phase,
          status: run.status,
          backend: run.backend,
          createdAt: run.createdAt,
          ...(run.finishedAt ? { finishedAt: run.finishedAt } : {}),
          ...(run.prUrl ? { prUrl: run.prUrl } : {}),
        },
      });
      deps.log.info({ runId: run.id, issue: run.identifier }, 'run deleted by an operator');
      return { runId: run.id, identifier: run.identifier, ...(warnings.length > 0 ? { warnings } : {}) };
    },
  };
}

/** Why nothing started, as the manual start and the retry both answer it (409). */
function refusedStart(outcome: Extract<StartOutcome, { kind: 'disabled' | 'over-budget' }>): ConflictError {
  return outcome.kind === 'disabled'
    ? new ConflictError(`No run can start: ${outcome.reason}.`)
    : new ConflictError(`No run started: ${outcome.reason}. Raise the project's budget, then resume the ticket.`);
}
