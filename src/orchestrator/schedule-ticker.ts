import type { Logger } from 'pino';
import type { Mapping, TrackerKind } from '../domain/mapping.js';
import type { Schedule, ScheduleOutcome } from '../domain/schedule.js';
import { nextFireAfter } from '../domain/schedule-cadence.js';
import { ConflictError } from '../errors/index.js';
import type { Store } from '../store/store.js';
import type { IssueTracker } from '../trackers/issue-tracker.js';
import type { RunIntent, StartOutcome } from './claim-and-dispatch.js';
import { scopesOf } from './intake-cycle.js';
import { KeyedLock } from './keyed-lock.js';

/** How often the leader looks for due schedules; a fire is at most this late. */
export const DEFAULT_SCHEDULE_TICK_MS = 30_000;

export interface ScheduleTickerDeps {
  store: Store;
  trackers: Partial<Record<TrackerKind, IssueTracker>>;
  clock: () => number;
  log: Logger;
  /** The one way a run starts (`RunLoop.startRun` → `claimAndDispatch`). */
  startRun: (intent: RunIntent) => Promise<StartOutcome>;
  /** Only the replica holding the periodic-jobs lease fires schedules. */
  isLeader?: () => boolean;
  tickMs?: number;
}

export interface FireResult {
  schedule: Schedule;
  outcome: ScheduleOutcome;
}

/**
 * Fires due schedules: opens the ticket in the mapping's tracker and starts
 * its run through `claimAndDispatch` (trigger source `schedule`, the
 * schedule's id and run-as owner on the run).
 *
 * Exactly once per slot: a due fire is claimed by moving `nextRunAt` to the
 * following slot with a compare-and-set in the store *before* anything
 * happens, so a second replica or a restart sees the fire as taken. A crash
 * between the claim and the start loses that one fire rather than doubling
 * it. Missed slots (the process was down) collapse into one fire now: the
 * next slot is computed after the fire's own time.
 *
 * Deferral: while the run of the ticket the schedule opened last is still
 * live, a fire opens nothing and is recorded as `deferred` with the reason;
 * the schedule waits for its next slot as usual (no retry in between), so a
 * long run never stacks tickets up.
 */
export class ScheduleTicker {
  private readonly lock = new KeyedLock();
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private current: Promise<unknown> | undefined;

  constructor(private readonly deps: ScheduleTickerDeps) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.scheduleNext();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.current?.catch(() => undefined);
  }

  /** Fires every enabled schedule whose time has come; resolves with what each fire did. */
  async tick(): Promise<FireResult[]> {
    const now = this.deps.clock();
    const due = (await this.deps.store.schedules.list()).filter((s) => s.enabled && s.nextRunAt !== undefined && Date.parse(s.nextRunAt) <= now);
    const results: FireResult[] = [];
    for (const schedule of due) {
      const claimed = await this.claimSlot(schedule, now);
      if (!claimed) continue;
      results.push(await this.lock.with(schedule.id, () => this.fire(claimed, now)));
    }
    return results;
  }

  /**
   * `POST /api/schedules/:id/run`: fires now, leaving the next slot where it
   * is. A fire the previous run defers is refused (ConflictError) and
   * recorded nowhere: a refused action changes nothing.
   */
  async fireNow(schedule: Schedule): Promise<FireResult> {
    return this.lock.with(schedule.id, async () => {
      const fresh = (await this.deps.store.schedules.get(schedule.id)) ?? schedule;
      const now = this.deps.clock();
      const busy = await this.previousRunLive(fresh);
      if (busy) throw new ConflictError(`Schedule "${fresh.name}" defers: ${busy}; fire it again when that run has finished.`);
      return this.fire(fresh, now);
    });
  }

  /** Moves nextRunAt past this slot, or answers undefined when another replica (or an earlier life of this one) already did. */
  private async claimSlot(schedule: Schedule, now: number): Promise<Schedule | undefined> {
    const next = nextFireAfter(schedule.cadence, now);
    try {
      return await this.deps.store.schedules.update(
        schedule.id,
        { nextRunAt: next === undefined ? undefined : new Date(next).toISOString(), lastRunAt: new Date(now).toISOString() },
        schedule.nextRunAt ?? null,
      );
    } catch (error) {
      if (error instanceof ConflictError) return undefined;
      throw error;
    }
  }

  private async fire(schedule: Schedule, now: number): Promise<FireResult> {
    const log = this.deps.log.child({ scheduleId: schedule.id, schedule: schedule.name });
    const at = new Date(now).toISOString();
    const record = async (outcome: ScheduleOutcome, extra: Partial<Schedule> = {}): Promise<FireResult> => {
      const saved = (await this.deps.store.schedules.update(schedule.id, { lastOutcome: outcome, lastRunAt: at, ...extra })) ?? { ...schedule, ...extra, lastOutcome: outcome };
      await this.deps.store.audit.append({ at, actor: 'orchestrator', action: `schedule.${outcome.kind}`, target: `schedule:${schedule.id}`, after: { name: schedule.name, mapping: schedule.mappingKey, ...outcome } });
      log.info({ outcome: outcome.kind, reason: outcome.reason }, 'schedule fired');
      return { schedule: saved, outcome };
    };

    const busy = await this.previousRunLive(schedule);
    if (busy) return record({ kind: 'deferred', at, reason: busy });
    const mapping = await this.deps.store.mappings.get(schedule.mappingKey);
    if (!mapping) return record({ kind: 'failed', at, reason: `project ${schedule.mappingKey} no longer exists` });
    if (mapping.paused) return record({ kind: 'deferred', at, reason: `project ${mapping.teamKey} is paused` });
    const refusal = await this.capRefusal(mapping);
    if (refusal) return record({ kind: 'deferred', at, reason: refusal });
    const tracker = this.deps.trackers[mapping.trackerKind];
    const scope = scopesOf([mapping])[mapping.trackerKind][0];
    if (!tracker?.createTicket || !scope) return record({ kind: 'failed', at, reason: `schedules cannot open ${mapping.trackerKind} tickets for project ${mapping.teamKey}` });

    let item;
    try {
      item = await tracker.createTicket(scope, { title: ticketTitle(schedule, now), description: ticketDescription(schedule) });
    } catch (error) {
      log.warn({ err: error }, 'schedule could not open its ticket');
      return record({ kind: 'failed', at, reason: `could not open the ticket: ${(error as Error).message}` });
    }
    // The ticket is the schedule's last one from here on, whatever the start does.
    await this.deps.store.schedules.update(schedule.id, { lastIssue: item.identifier, lastIssueId: item.id });
    const ticket = { lastIssue: item.identifier, lastIssueId: item.id };
    let started: StartOutcome;
    try {
      started = await this.deps.startRun({ kind: 'ticket', item, mapping, phase: 'implement', triggerSource: 'schedule', scheduleId: schedule.id, owner: schedule.runAs });
    } catch (error) {
      log.warn({ err: error, issue: item.identifier }, 'schedule could not start its run');
      return record({ kind: 'failed', at, reason: `opened ${item.identifier} but could not start its run: ${(error as Error).message}` }, ticket);
    }
    switch (started.kind) {
      case 'started':
        return record({ kind: 'started', at, reason: `opened ${item.identifier} and started run ${started.run.id}` }, { ...ticket, lastRunId: started.run.id });
      case 'busy':
      case 'duplicate':
        // The intake saw the new ticket first: its run is the fire's run.
        return record({ kind: 'started', at, reason: `opened ${item.identifier}; run ${started.run.id} had already started it` }, { ...ticket, lastRunId: started.run.id });
      case 'disabled':
        return record({ kind: 'failed', at, reason: `opened ${item.identifier} but no run may start: ${started.reason}` }, ticket);
      case 'over-budget':
        return record({ kind: 'deferred', at, reason: `opened ${item.identifier} but a spend limit holds its run: ${started.reason}` }, ticket);
    }
  }

  /** Why the previous fire's run defers this one, or undefined when it has finished (or there was none). */
  private async previousRunLive(schedule: Schedule): Promise<string | undefined> {
    if (!schedule.lastIssueId) return undefined;
    const live = (await this.deps.store.runs.listActiveRuns({ issueId: schedule.lastIssueId })).filter((r) => !r.shadowOf);
    const run = live[0];
    return run ? `run ${run.id} of ${run.identifier} is still ${run.status}` : undefined;
  }

  /** The project's cap on runs in progress, as the intake applies it. */
  private async capRefusal(mapping: Mapping): Promise<string | undefined> {
    const inProgress = (await this.deps.store.runs.listActiveRuns({ mappingKey: mapping.teamKey })).filter((r) => !r.shadowOf).length;
    return inProgress >= mapping.maxInProgressAiIssues ? `${inProgress} of ${mapping.maxInProgressAiIssues} runs are in progress for ${mapping.teamKey}` : undefined;
  }

  private scheduleNext(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      if (this.deps.isLeader && !this.deps.isLeader()) {
        this.scheduleNext();
        return;
      }
      this.current = this.tick()
        .catch((error: unknown) => this.deps.log.error({ err: error }, 'schedule tick failed'))
        .finally(() => this.scheduleNext());
    }, this.deps.tickMs ?? DEFAULT_SCHEDULE_TICK_MS);
    this.timer.unref();
  }
}

/** "Dependency updates — 2026-03-12": the name and the fire's UTC date. */
export function ticketTitle(schedule: Schedule, now: number): string {
  return `${schedule.name} — ${new Date(now).toISOString().slice(0, 10)}`;
}

function ticketDescription(schedule: Schedule): string {
  return `${schedule.instructions}\n\n---\nOpened by the AI-Implement schedule "${schedule.name}" (${schedule.id}); its run is recorded under ${schedule.runAs}.`;
}
