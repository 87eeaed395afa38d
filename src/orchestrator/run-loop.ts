import type { Logger } from 'pino';
import type { Mapping, TrackerKind } from '../domain/mapping.js';
import type { PlanPolicy } from '../domain/plan-dispatch.js';
import type { RunBackend } from '../domain/run.js';
import type { RunTokenIssuer } from '../domain/runner-protocol.js';
import type { RunnerBackend } from '../runners/runner-backend.js';
import type { Store } from '../store/store.js';
import type { IssueTracker } from '../trackers/issue-tracker.js';
import { claimAndDispatch, type ClaimAndDispatchDeps, type RunIntent, type StartOutcome } from './claim-and-dispatch.js';
import { dispatchDueRuns } from './dispatch-due-runs.js';
import { dispatchRun, type DispatchDeps, type DispatchOutcome } from './dispatch-run.js';
import { DEFAULT_DISPATCH_POLICY } from './dispatch-deps.js';
import { dispatchLeaseFor } from '../domain/dispatch-lease.js';
import { runIntakeCycle, type IntakeCycleResult, type IntakeDeps, type TicketRef } from './intake-cycle.js';
import type { PendingTicketWrites } from './pending-ticket-writes.js';
import type { Leadership } from './leadership.js';
import { Poller } from './poller.js';
import { recoverInterruptedRuns } from './recover-interrupted-runs.js';
import { settleRunOutcome, type SettleDeps } from './settle-run-outcome.js';
import type { BudgetGuard } from './budget-guard.js';

/** The settings the loop reads as it goes (the admin API reports the same precedence). */
export interface RunLoopSettings {
  runnerMode(): Promise<PlanPolicy['runnerMode']>;
  /** Re-reads values cached between full cycles (the Fly sessions app and region). */
  refresh(): Promise<void>;
}

export interface RunLoopOptions {
  store: Store;
  trackers: Partial<Record<TrackerKind, IssueTracker>>;
  backends: Partial<Record<RunBackend, RunnerBackend>>;
  /** Unset without RUNNER_TOKEN_SECRET: a runner could never report back, so nothing is dispatched at all. */
  tokens: RunTokenIssuer | undefined;
  settings: RunLoopSettings;
  settle: SettleDeps;
  pending: PendingTicketWrites;
  clock: () => number;
  log: Logger;
  pollIntervalMs: number;
  dedupWindowMs: number;
  retryLimit: number;
  /** `RUN_OWNER_FALLBACK`: the owner of a run whose ticket shows no assignee email. */
  ownerFallback?: string;
  /** RUNNER_CALLBACK_BASE_URL; without it, runners call back to the URL the server listens on. */
  callbackBaseUrl: string | undefined;
  /**
   * The secrets broker: a mapping's secrets in clear, for the one moment a
   * Fly machine is created or a local child spawned with them. A GitHub
   * Actions job fetches its own at `/runner/secrets`, so none go upstream.
   */
  secrets: { valuesFor(mapping: Mapping): Promise<Record<string, string>> };
  /**
   * With several replicas: full cycles, their housekeeping and the recovery
   * of interrupted runs happen only on the holder of the leader lease (a
   * replica that takes it over recovers then). Unset: this process leads.
   */
  leadership?: Leadership;
  /** This replica's id, the holder of the dispatch leases it takes (default `local`). */
  replicaId?: string;
  /** How long a dispatch lease lasts: a dispatch unanswered this long is presumed abandoned (DISPATCH_LEASE_MS). */
  dispatchLeaseMs?: number;
  /** The back-off before a re-queued run's second attempt (doubling after; DISPATCH_RETRY_BACKOFF_MS). */
  dispatchBackoffMs?: number;
  /** With a leadership: how often every replica takes due runs from the dispatch queue (default min(poll interval, 5 s)). */
  queueIntervalMs?: number;
  /** Spend limits, checked before each start and by intake for whole projects. */
  budget?: BudgetGuard;
}

/**
 * The run loop: intake (a full cycle every poll interval, one ticket as soon
 * as a webhook names it), the one way a run starts (`startRun`), dispatch,
 * and the housekeeping after each full cycle. Built whole at construction;
 * `start` only gives it the URL the server listens on and sets it going.
 */
export class RunLoop {
  private readonly poller: Poller;
  private readonly starts: ClaimAndDispatchDeps;
  private readonly intake: IntakeDeps;
  /** Set by `start`: the callback URL is known only once the server listens. */
  private dispatchDeps: DispatchDeps | undefined;
  /** Run ids being dispatched by this process (shared by dispatch and reconcile). */
  private readonly inFlight = new Set<string>();
  private listenUrl: string | undefined;
  private recovering: Promise<void> | undefined;
  /** The recovery of runs a previous process left, done once, by the first replica to lead. */
  private recovered: Promise<void> | undefined;
  private stopped = false;
  private queueTimer: NodeJS.Timeout | undefined;
  private queuePass: Promise<void> | undefined;

  constructor(private readonly options: RunLoopOptions) {
    const { store, trackers, clock, log } = options;
    const dispatchDisabled = options.tokens ? undefined : 'RUNNER_TOKEN_SECRET is not set';
    this.starts = {
      store,
      trackers,
      clock,
      log: log.child({ component: 'dispatch' }),
      dedupWindowMs: options.dedupWindowMs,
      runnerMode: () => options.settings.runnerMode(),
      dispatch: () => (this.dispatchDeps ? (runId) => this.dispatch(runId) : undefined),
      dispatchDisabled,
      runUrl: (runId) => `${this.listenUrl ?? ''}/admin/runs/${encodeURIComponent(runId)}`,
      dispatchLease: () => dispatchLeaseFor(options.replicaId ?? 'local', clock(), this.dispatchLeaseMs),
      ...(options.ownerFallback ? { ownerFallback: options.ownerFallback } : {}),
      ...(options.budget ? { budget: options.budget } : {}),
    };
    this.intake = {
      store,
      trackers,
      runnerMode: () => options.settings.runnerMode(),
      retryLimit: options.retryLimit,
      clock,
      log: log.child({ component: 'intake' }),
      trackerPausedUntil: new Map(),
      ...(dispatchDisabled ? { dispatchDisabled } : {}),
      startRun: (intent) => this.startRun(intent),
      ...(options.budget ? { budget: options.budget } : {}),
    };
    this.poller = new Poller({
      intervalMs: options.pollIntervalMs,
      log: log.child({ component: 'poller' }),
      ...(options.leadership ? { mayRunFullCycle: () => options.leadership?.isLeader === true } : {}),
      runCycle: async (request) => {
        await options.settings.refresh();
        const result = await runIntakeCycle(this.intake, request);
        if (!request.only) await this.maintain();
        return result;
      },
    });
  }

  /** The one way any trigger starts a run (a property, so triggers are handed the loop's own function). */
  readonly startRun = (intent: RunIntent): Promise<StartOutcome> => claimAndDispatch(this.starts, intent);

  /** Evaluates one ticket as soon as possible (a webhook said it changed). */
  readonly requestEvaluation = (ref: TicketRef): void => this.poller.requestEvaluation(ref);

  /** The same, resolving once the ticket was evaluated (a webhook delivery completes only then). */
  readonly evaluateTicket = (ref: TicketRef): Promise<void> => this.poller.evaluate(ref);

  /** Runs a full cycle now and resolves with its result (tests, the admin "poll now"). */
  async runNow(): Promise<IntakeCycleResult | undefined> {
    await this.recovering;
    return this.poller.runNow();
  }

  /** The last full cycle (blockers, candidates); undefined before the first one. */
  get latest(): IntakeCycleResult | undefined {
    return this.poller.latest;
  }

  start(listenUrl: string): void {
    const startedAt = this.options.clock();
    this.listenUrl = listenUrl;
    const { tokens } = this.options;
    if (tokens && !this.dispatchDeps) {
      this.dispatchDeps = {
        store: this.options.store,
        backends: this.options.backends,
        tokens,
        clock: this.options.clock,
        log: this.options.log.child({ component: 'dispatch' }),
        orchestratorUrl: this.options.callbackBaseUrl ?? listenUrl,
        ...(this.options.replicaId ? { replicaId: this.options.replicaId } : {}),
        // Nothing secret goes into a workflow dispatch: its inputs are readable by every reader of the repository.
        secretsFor: async (mapping: Mapping, backend: RunBackend) => (backend === 'github-actions' ? {} : this.options.secrets.valuesFor(mapping)),
        inFlight: this.inFlight,
        replicaId: this.options.replicaId ?? 'local',
        policy: {
          staleAfterMs: this.dispatchLeaseMs,
          ...(this.options.dispatchBackoffMs !== undefined ? { baseBackoffMs: this.options.dispatchBackoffMs } : {}),
        },
      };
    }
    // Runs the previous process left live are recovered before the first cycle plans around them.
    const { leadership } = this.options;
    this.recovering = (leadership ? leadership.ready() : Promise.resolve())
      .then(() => (!leadership || leadership.isLeader ? this.recover(startedAt) : undefined))
      .then(() => {
        if (this.stopped) return;
        this.poller.start();
        if (leadership) this.scheduleQueuePass();
        // A replica that takes the lead later recovers then (once), and runs a full cycle at once.
        leadership?.onChange((held) => {
          if (held && !this.stopped) void this.recover(startedAt).then(() => this.poller.requestFullCycle());
        });
      });
  }

  private get dispatchLeaseMs(): number {
    return this.options.dispatchLeaseMs ?? DEFAULT_DISPATCH_POLICY.staleAfterMs;
  }

  /**
   * With several replicas, every one takes due runs from the dispatch queue
   * (the leader also does after each full cycle, with the reconcile only it
   * runs); the store hands each run to one of them.
   */
  private scheduleQueuePass(): void {
    const interval = this.options.queueIntervalMs ?? Math.min(this.options.pollIntervalMs, 5_000);
    this.queueTimer = setTimeout(() => {
      this.queuePass = this.runQueuePass().finally(() => {
        if (!this.stopped) this.scheduleQueuePass();
      });
    }, interval);
    this.queueTimer.unref();
  }

  private async runQueuePass(): Promise<void> {
    if (!this.dispatchDeps) return;
    try {
      const pass = await dispatchDueRuns(this.dispatchDeps, { reconcile: false });
      for (const outcome of pass.dispatched) await this.settleFailed(outcome);
    } catch (error) {
      this.options.log.error({ err: error }, 'taking runs from the dispatch queue failed');
    }
  }

  private recover(startedAt: number): Promise<void> {
    const deps = this.dispatchDeps;
    this.recovered ??= (
      deps
        ? recoverInterruptedRuns(deps, this.options.settle, startedAt).then(async (report) => {
            for (const runId of report.retries) await this.dispatch(runId);
          })
        : Promise.resolve()
    ).catch((error: unknown) => this.options.log.error({ err: error }, 'recovering interrupted runs failed'));
    return this.recovered;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.queueTimer) clearTimeout(this.queueTimer);
    await this.recovering;
    await this.queuePass;
    await this.poller.stop();
  }

  /** Resolves once the recovery at start is done (and the poller started). */
  started(): Promise<void> {
    return this.recovering ?? Promise.resolve();
  }

  /** Starts a claimed run's backend job; a dispatch that failed for good is settled here, once. */
  private async dispatch(runId: string): Promise<void> {
    if (!this.dispatchDeps) return;
    await this.settleFailed(await dispatchRun(this.dispatchDeps, runId));
  }

  private async settleFailed(outcome: DispatchOutcome): Promise<void> {
    if (outcome.kind === 'failed') await settleRunOutcome(this.options.settle, outcome.run);
  }

  /** Housekeeping after each full cycle: re-dispatch due runs, retry ticket writes, purge expired rows. */
  private async maintain(): Promise<void> {
    const { store } = this.options;
    try {
      if (this.dispatchDeps) {
        const pass = await dispatchDueRuns(this.dispatchDeps);
        for (const outcome of [...pass.reconciled, ...pass.dispatched]) await this.settleFailed(outcome);
      }
      await this.options.pending.retryPendingTicketWrites();
      await Promise.all([store.dedup.purgeExpired(), store.inbox.purgeExpired(), store.tokens.purgeExpired(), store.adminSessions.purgeExpired()]);
    } catch (error) {
      this.options.log.error({ err: error }, 'maintenance after the intake cycle failed');
    }
  }
}
