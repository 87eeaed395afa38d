import type { Logger } from 'pino';
import type { DedupEntry } from '../domain/dedup-entry.js';
import type { Mapping, TrackerKind } from '../domain/mapping.js';
import { planDispatch, type DispatchPlan, type PlanCandidate, type PlannedRun, type PlanPolicy } from '../domain/plan-dispatch.js';
import type { Run, TriggerSource } from '../domain/run.js';
import { ExternalServiceError } from '../errors/index.js';
import type { Store } from '../store/store.js';
import type { IssueTracker, TrackerScope } from '../trackers/issue-tracker.js';
import type { RunIntent, StartOutcome } from './claim-and-dispatch.js';
import type { BudgetGuard } from './budget-guard.js';

/** A run an evaluation started, with its inert shadow leg in shadow mode. */
export interface StartedRun {
  run: Run;
  shadow?: Run;
}

export interface IntakeDeps {
  store: Store;
  trackers: Partial<Record<TrackerKind, IssueTracker>>;
  /** The effective runner mode (env override, else the stored setting). */
  runnerMode: () => Promise<PlanPolicy['runnerMode']>;
  retryLimit: number;
  clock: () => number;
  log: Logger;
  /**
   * When a tracker said "slow down" (Retry-After, Linear's reset header), the
   * time until which it is not asked again; shared across cycles.
   */
  trackerPausedUntil?: Map<TrackerKind, number>;
  /**
   * Why no run may start (e.g. RUNNER_TOKEN_SECRET is unset, so a runner could
   * never report back): the cycle still plans and reports blockers, but claims
   * nothing and leaves the tickets untouched.
   */
  dispatchDisabled?: string;
  /** The one way a run starts (`claimAndDispatch`). */
  startRun: (intent: RunIntent) => Promise<StartOutcome>;
  /** Spend limits: projects at their monthly limit start nothing (the Blockers panel says why). */
  budget?: Pick<BudgetGuard, 'overBudgetMappings'>;
}

/** Tickets a webhook named; evaluated alone instead of a full poll. */
export interface TicketRef {
  tracker: TrackerKind;
  issueId: string;
}

export interface IntakeCycleResult {
  at: string;
  plan: DispatchPlan;
  started: StartedRun[];
  /** Trackers that could not be read this cycle, with the reason. */
  errors: { tracker: TrackerKind; message: string; retryAfterMs?: number }[];
  /** Every eligible ticket this evaluation saw, with the mappings it matched (the Issues panel). */
  candidates: PlanCandidate[];
}

/** Scopes of every mapping, per tracker. */
export function scopesOf(mappings: readonly Mapping[]): Record<TrackerKind, TrackerScope[]> {
  const scopes: Record<TrackerKind, TrackerScope[]> = { linear: [], jira: [] };
  for (const m of mappings) {
    if (m.trackerKind === 'linear') {
      scopes.linear.push({
        mappingKey: m.teamKey,
        kind: 'linear',
        teamKey: m.linear?.teamKey ?? m.teamKey,
        ...(m.linear?.projectFilter ? { projectFilter: m.linear.projectFilter } : {}),
        ...(m.linear?.labelFilter ? { labelFilter: m.linear.labelFilter } : {}),
      });
    } else if (m.jira) {
      scopes.jira.push({ mappingKey: m.teamKey, kind: 'jira', jql: m.jira.jql, repoFieldValue: m.jira.repoFieldValue });
    }
  }
  return scopes;
}

/**
 * One evaluation: read candidates (all of them, or only the tickets a webhook
 * named), plan, and start what the plan says. Planning is pure; this function
 * is the executor.
 */
export async function runIntakeCycle(deps: IntakeDeps, options: { only?: readonly TicketRef[]; triggerSource?: TriggerSource } = {}): Promise<IntakeCycleResult> {
  const now = deps.clock();
  const mappings = await deps.store.mappings.list();
  const scopes = scopesOf(mappings);
  const errors: IntakeCycleResult['errors'] = [];
  const candidates: PlanCandidate[] = [];

  for (const kind of ['linear', 'jira'] as const) {
    const tracker = deps.trackers[kind];
    if (!tracker) continue;
    const wanted = options.only?.filter((t) => t.tracker === kind);
    if (options.only && wanted?.length === 0) continue;
    if (!wanted && scopes[kind].length === 0) continue;
    const pausedUntil = deps.trackerPausedUntil?.get(kind) ?? 0;
    if (pausedUntil > now) {
      errors.push({ tracker: kind, message: `rate limited; not asked again until ${new Date(pausedUntil).toISOString()}`, retryAfterMs: pausedUntil - now });
      continue;
    }
    try {
      if (wanted) {
        for (const ref of wanted) {
          const found = await tracker.getCandidate(ref.issueId, scopes[kind]);
          if (found) candidates.push(found);
        }
      } else {
        candidates.push(...(await tracker.listCandidates(scopes[kind])));
      }
    } catch (error) {
      // Adapters turn a tracker's "slow down" into an ExternalServiceError with its Retry-After.
      const retryAfterMs = error instanceof ExternalServiceError ? error.retryAfterMs : undefined;
      errors.push({ tracker: kind, message: error instanceof Error ? error.message : String(error), ...(retryAfterMs ? { retryAfterMs } : {}) });
      if (retryAfterMs) deps.trackerPausedUntil?.set(kind, now + retryAfterMs);
      deps.log.warn({ err: error, tracker: kind }, 'tracker read failed; its tickets wait for the next cycle');
    }
  }

  const [activeRuns, dedupRows, runnerMode] = await Promise.all([deps.store.runs.listActiveRuns(), deps.store.dedup.listActive(), deps.runnerMode()]);
  const dedup = new Map<string, DedupEntry>(dedupRows.map((d) => [d.issueId, d]));
  const overBudgetMappings = deps.budget ? await deps.budget.overBudgetMappings(mappings) : undefined;
  const plan = planDispatch({ candidates, mappings }, { activeRuns, dedup, now, ...(overBudgetMappings ? { overBudgetMappings } : {}) }, { retryLimit: deps.retryLimit, runnerMode, triggerSource: options.triggerSource ?? 'poll' });

  const started: StartedRun[] = [];
  if (deps.dispatchDisabled && plan.starts.length > 0) {
    deps.log.warn({ ready: plan.starts.length, reason: deps.dispatchDisabled }, 'tickets are ready but nothing is dispatched');
  }
  for (const planned of deps.dispatchDisabled ? [] : plan.starts) {
    if (!deps.trackers[planned.item.tracker]) continue;
    try {
      const { item, mapping, phase, dispatchNumber } = planned;
      const triggerSource = await triggerOf(deps.store, planned);
      const outcome = await deps.startRun({ kind: 'ticket', item, mapping, phase, triggerSource, dispatchNumber });
      if (outcome.kind === 'started') started.push(outcome.shadow ? { run: outcome.run, shadow: outcome.shadow } : { run: outcome.run });
    } catch (error) {
      deps.log.error({ err: error, issue: planned.item.identifier }, 'could not start a planned run');
    }
  }
  if (plan.starts.length > 0 || plan.blockers.length > 0) {
    deps.log.info({ started: started.length, blocked: plan.blockers.length, candidates: candidates.length }, 'intake cycle');
  }
  return { at: new Date(now).toISOString(), plan, started, errors, candidates };
}

/**
 * What really started a planned run. The planner sees only the dedup rows
 * still active, and a failure's row expires with its back-off, so the run
 * history decides: after a failed run this is a retry; an implementation
 * right after its successful plan is the plan's approval; otherwise it is
 * what the evaluation was (a poll, or a webhook naming the ticket).
 */
async function triggerOf(store: Store, planned: PlannedRun): Promise<TriggerSource> {
  const history = await store.runs.listRuns({ issueId: planned.item.id, limit: 10 });
  const last = history.items.find((r) => !r.shadowOf && r.status !== 'cancelled');
  if (last?.status === 'failed') return 'retry';
  if (planned.phase === 'implement' && last?.phase === 'plan' && last.status === 'succeeded') return 'plan-approval';
  return planned.triggerSource;
}
