import type { Logger } from 'pino';
import type { Mapping } from '../domain/mapping.js';
import type { ReaperAction } from '../domain/reaper-action.js';
import type { Run, RunBackend } from '../domain/run.js';
import { ACTIVE_RUN_STATUSES, isTerminal } from '../domain/run-status.js';
import type { WorkItem } from '../domain/work-item.js';
import { ConflictError } from '../errors/index.js';
import type { SettleDeps } from '../orchestrator/settle-run-outcome.js';
import { settleLostRunner } from '../orchestrator/settle-lost-runner.js';
import type { RunnerBackend, UpstreamRun } from '../runners/runner-backend.js';
import type { Store } from '../store/store.js';
import type { Trackers } from '../trackers/create-trackers.js';
import { DEFAULT_MAX_AGE_GRACE_MS, judgeJob, type ReaperRule } from './reaper-rules.js';

/** Settings the reaper reads before each sweep, so the operator can change them without a restart. */
export const REAPER_SETTINGS = {
  dryRun: 'reaperDryRun',
  intervalMinutes: 'reaperIntervalMinutes',
} as const;

export const DEFAULT_REAPER_INTERVAL_MS = 5 * 60_000;
/** A run touched this recently is left alone by the vanished-job check: GitHub may not list a fresh run yet. */
export const DEFAULT_VANISH_GRACE_MS = 5 * 60_000;

export interface ReaperDeps {
  store: Store;
  backends: Partial<Record<RunBackend, RunnerBackend>>;
  trackers: Trackers;
  settle: SettleDeps;
  clock: () => number;
  log: Logger;
  graceMs?: number;
  vanishGraceMs?: number;
  /** Used when the `reaperIntervalMinutes` setting is unset. */
  defaultIntervalMs?: number;
  /** False while another replica holds the leader lease: the timer's sweep is skipped (a sweep asked for still runs). */
  isLeader?: () => boolean;
}

export interface SweepReport {
  /** Live jobs looked at, over every backend that answered. */
  checked: number;
  actions: ReaperAction[];
  /** Live runs settled because their job or ticket is gone. */
  settledRuns: Array<{ runId: string; reason: string }>;
  /** Backends (or runs) that could not be checked this time, with why. */
  errors: string[];
  dryRun: boolean;
}

type TicketLookup = (run: Run) => Promise<WorkItem | undefined | 'unknown'>;

/**
 * The reconciliation sweep. Forwards: live jobs nobody should be paying for
 * (see reaper-rules.ts) are destroyed, or only recorded in dry-run mode.
 * Backwards: live runs whose job or ticket vanished are settled, so nothing
 * stays `running` forever. One sweep at a time; the loop re-reads its
 * interval and dry-run flag from the settings before each sweep.
 */
export class Reaper {
  private current: Promise<SweepReport> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;

  constructor(private readonly deps: ReaperDeps) {}

  /** Runs a sweep, or joins the one already running. */
  sweep(): Promise<SweepReport> {
    if (!this.current) {
      this.current = this.runSweep().finally(() => {
        this.current = undefined;
      });
    }
    return this.current;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.scheduleNext();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.current?.catch(() => undefined);
  }

  async intervalMs(): Promise<number> {
    const minutes = await this.deps.store.settings.get<unknown>(REAPER_SETTINGS.intervalMinutes).catch(() => undefined);
    // A hand-edited setting that is not a sane number falls back rather than spinning or stalling the loop.
    if (typeof minutes === 'number' && Number.isFinite(minutes) && minutes >= 1 && minutes <= 1440) return minutes * 60_000;
    return this.deps.defaultIntervalMs ?? DEFAULT_REAPER_INTERVAL_MS;
  }

  private async scheduleNext(): Promise<void> {
    const delay = await this.intervalMs();
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      if (this.deps.isLeader && !this.deps.isLeader()) {
        void this.scheduleNext();
        return;
      }
      this.sweep()
        .catch((error: unknown) => this.deps.log.error({ err: error }, 'reaper sweep failed'))
        .finally(() => {
          if (!this.stopped) void this.scheduleNext();
        });
    }, delay);
    this.timer.unref();
  }

  private async runSweep(): Promise<SweepReport> {
    const { store, backends, log } = this.deps;
    const dryRun = (await store.settings.get<unknown>(REAPER_SETTINGS.dryRun)) === true;
    const report: SweepReport = { checked: 0, actions: [], settledRuns: [], errors: [], dryRun };
    const ticket = ticketLookup(this.deps);
    const liveRunIds = new Set<string>();
    const listedKinds = new Set<RunBackend>();

    for (const [kind, backend] of Object.entries(backends) as Array<[RunBackend, RunnerBackend]>) {
      let jobs: UpstreamRun[];
      try {
        jobs = await backend.listLive();
      } catch (error) {
        report.errors.push(`${kind}: ${(error as Error).message}`);
        log.warn({ err: error, backend: kind }, 'reaper could not list live jobs');
        continue;
      }
      listedKinds.add(kind);
      for (const job of jobs) {
        report.checked += 1;
        if (job.runId) liveRunIds.add(job.runId);
        try {
          const action = await this.reapJob(kind, backend, job, ticket, dryRun);
          if (action) report.actions.push(action);
        } catch (error) {
          report.errors.push(`${kind} ${job.upstreamId}: ${(error as Error).message}`);
          log.warn({ err: error, backend: kind, upstreamId: job.upstreamId }, 'reaper could not handle a job');
        }
      }
    }

    for (const run of await store.runs.listActiveRuns({ status: ACTIVE_RUN_STATUSES })) {
      try {
        const reason = await this.settleIfLost(run, liveRunIds, listedKinds, ticket);
        if (reason) report.settledRuns.push({ runId: run.id, reason });
      } catch (error) {
        report.errors.push(`run ${run.id}: ${(error as Error).message}`);
        log.warn({ err: error, runId: run.id }, 'reaper could not check a run');
      }
    }
    if (report.actions.length > 0 || report.settledRuns.length > 0) {
      log.info({ checked: report.checked, actions: report.actions.length, settled: report.settledRuns.length, dryRun }, 'reaper sweep done');
    }
    return report;
  }

  private async reapJob(kind: RunBackend, backend: RunnerBackend, job: UpstreamRun, ticket: TicketLookup, dryRun: boolean): Promise<ReaperAction | undefined> {
    const { store, clock } = this.deps;
    const run = job.runId ? await store.runs.getRun(job.runId) : undefined;
    const mappingKey = run?.mappingKey ?? job.mappingKey;
    const mapping = mappingKey ? await store.mappings.get(mappingKey) : undefined;
    const facts = { job, run, mapping, now: clock(), graceMs: this.deps.graceMs ?? DEFAULT_MAX_AGE_GRACE_MS };
    // Reading the ticket costs a tracker call, so only for a live run that no cheaper rule caught.
    let verdict = judgeJob({ ...facts, ticket: 'unknown' });
    if (!verdict && run) verdict = judgeJob({ ...facts, ticket: await ticket(run) });
    if (!verdict) return undefined;

    if (!dryRun) {
      const target = mapping ?? cancelTargetFor(kind, mappingKey);
      if (!target) throw new Error(`cannot cancel ${job.upstreamId}: its mapping ${mappingKey ?? '(none)'} is gone and ${kind} needs the repository`);
      await backend.cancel(job.upstreamId, target);
      if (run && !isTerminal(run.status)) await this.settleReaped(run, job, verdict.rule, verdict.reason);
    }
    const action: ReaperAction = {
      at: new Date(clock()).toISOString(),
      rule: verdict.rule,
      machineId: job.upstreamId,
      tenant: mapping ? `${mapping.owner}/${mapping.repo}` : (mappingKey ?? ''),
      issue: run?.identifier ?? job.issueIdentifier ?? '',
      ageSeconds: verdict.ageSeconds,
      mode: dryRun ? 'dry-run' : 'destroyed',
    };
    await store.reaper.append(action);
    this.deps.log.info({ ...action, reason: verdict.reason, backend: kind }, dryRun ? 'reaper would destroy a job (dry run)' : 'reaper destroyed a job');
    return action;
  }

  /** A reaped job's run cannot report any more: settle it now instead of waiting for the next sweep. */
  private async settleReaped(run: Run, job: UpstreamRun, rule: ReaperRule, reason: string): Promise<void> {
    const lost = { runId: run.id, upstreamId: job.upstreamId, reason: `was destroyed by the reaper (${rule}: ${reason})`, cancelled: rule === 'issue-terminal', timedOut: rule === 'max-age-exceeded' };
    if (run.upstreamId === job.upstreamId) await settleLostRunner(this.deps.settle, lost);
  }

  /** The backwards check for one live run; resolves with why it was settled, if it was. */
  private async settleIfLost(run: Run, liveRunIds: Set<string>, listedKinds: Set<RunBackend>, ticket: TicketLookup): Promise<string | undefined> {
    const { store, backends, clock } = this.deps;
    const current = await store.runs.getRun(run.id);
    if (!current || isTerminal(current.status)) return undefined; // settled by the forward pass
    const item = await ticket(current);
    if (item === undefined) return this.cancelForVanishedTicket(current);

    if (current.status !== 'launching' && current.status !== 'running') return undefined; // the dispatcher owns the rest
    if (liveRunIds.has(current.id) || !listedKinds.has(current.backend) || !current.upstreamId) return undefined;
    if (clock() - Date.parse(current.updatedAt) < (this.deps.vanishGraceMs ?? DEFAULT_VANISH_GRACE_MS)) return undefined;
    const backend = backends[current.backend];
    const mapping = await store.mappings.get(current.mappingKey);
    if (!backend || !mapping) return undefined;
    const found = await backend.find(current.id, mapping);
    if (found && (found.state === 'pending' || found.state === 'running')) return undefined;
    const reason = found ? `job ${found.upstreamId} ended upstream (${found.state})` : `job ${current.upstreamId} vanished upstream`;
    // A job stopped upstream (a timeout, a cancel outside AI-Implement) is a failed try like any
    // other job that ended without a result, so the ticket is retried and ends needs-human past the limit.
    const settled = await settleLostRunner(this.deps.settle, {
      runId: current.id,
      upstreamId: found?.upstreamId ?? current.upstreamId,
      reason: found ? `ended upstream (${found.state})` : 'vanished upstream',
    });
    if (!settled) return undefined;
    await this.audit(current, reason);
    return reason;
  }

  private async cancelForVanishedTicket(run: Run): Promise<string | undefined> {
    const { store, backends, clock } = this.deps;
    const reason = `ticket ${run.identifier} no longer exists`;
    const backend = backends[run.backend];
    const mapping = await store.mappings.get(run.mappingKey);
    if (run.upstreamId && backend && mapping) await backend.cancel(run.upstreamId, mapping);
    try {
      await store.runs.updateRun(
        run.id,
        { status: 'cancelled', failureReason: `Cancelled by the reaper: ${reason}`, finishedAt: new Date(clock()).toISOString() },
        { expectAttempt: run.attempt, expectStatus: ACTIVE_RUN_STATUSES },
      );
    } catch (error) {
      if (error instanceof ConflictError) return undefined; // it finished meanwhile
      throw error;
    }
    await this.audit(run, reason);
    return reason;
  }

  private async audit(run: Run, reason: string): Promise<void> {
    await this.deps.store.audit.append({ at: new Date(this.deps.clock()).toISOString(), actor: 'reaper', action: 'run.settled', target: run.id, after: { issue: run.identifier, reason } });
    this.deps.log.warn({ runId: run.id, issue: run.identifier, reason }, 'reaper settled a live run');
  }
}

/** One tracker read per ticket per sweep; a failed read is 'unknown', never "gone". */
function ticketLookup(deps: ReaperDeps): TicketLookup {
  const cache = new Map<string, Promise<WorkItem | undefined | 'unknown'>>();
  return (run) => {
    const key = `${run.tracker}:${run.issueId}`;
    let pending = cache.get(key);
    if (!pending) {
      const tracker = deps.trackers[run.tracker];
      pending = tracker ? tracker.getItem(run.issueId).catch(() => 'unknown' as const) : Promise.resolve('unknown' as const);
      cache.set(key, pending);
    }
    return pending;
  };
}

/**
 * Fly and local jobs are cancelled by id alone (their backends ignore the
 * mapping), so a job whose mapping was deleted can still be destroyed; a
 * GitHub workflow run needs its repository, which only the mapping names.
 */
function cancelTargetFor(kind: RunBackend, mappingKey: string | undefined): Mapping | undefined {
  if (kind === 'github-actions') return undefined;
  const now = new Date(0).toISOString();
  return {
    teamKey: mappingKey ?? '',
    trackerKind: 'linear',
    owner: '',
    repo: '',
    defaultBranch: '',
    executionMode: kind,
    agentRuntime: '',
    provider: 'anthropic',
    maxInProgressAiIssues: 0,
    maxTurns: 0,
    maxIterations: 0,
    maxJobMinutes: 0,
    planningEnabled: false,
    autoApprovePlans: false,
    paused: true,
    extraEnv: {},
    createdAt: now,
    updatedAt: now,
  };
}
