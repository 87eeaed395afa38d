import type { DedupEntry } from './dedup-entry.js';
import type { ExecutionMode, Mapping } from './mapping.js';
import type { Run, RunPhase, TriggerSource } from './run.js';
import type { WorkItem } from './work-item.js';

/**
 * The pure heart of intake: given what the trackers returned and what is
 * running, decide which runs to start and, for every eligible ticket that will
 * not start, why not. No I/O; the poll cycle executes the plan.
 */

export type BlockerReason = 'no-mapping' | 'paused' | 'budget' | 'concurrency' | 'dedup' | 'blocked-by-dependency' | 'retry-limit' | 'planning-pending';

export const BLOCKER_EXPLANATIONS: Record<BlockerReason, string> = {
  'no-mapping': 'No project mapping covers this ticket’s team or repository; add one under Projects.',
  paused: 'Its project is paused; resume it to let tickets start.',
  budget: 'A spend limit was reached (the ticket’s own or its project’s month); raise the limit on the project, then resume the ticket.',
  concurrency: 'Its project is at its cap of in-progress tickets; it starts when a slot frees up or the cap is raised.',
  dedup: 'It was dispatched recently and is inside the dedup window (or waiting out a retry back-off); clear it under Audit log to start it now.',
  'blocked-by-dependency': 'Another open ticket blocks it; it starts once that ticket is completed or canceled.',
  'retry-limit': 'Its runs failed too many times; it is marked needs-human. Remove the marker and clear its dedup entry to try again.',
  'planning-pending': 'Its plan is posted and waits for approval (add the Plan-Complete label or set the status to Plan Approved).',
};

export interface Blocker {
  issueId: string;
  identifier: string;
  title: string;
  url: string;
  tracker: WorkItem['tracker'];
  mappingKey?: string;
  teamKey: string;
  reason: BlockerReason;
  detail: string;
}

export interface PlannedRun {
  item: WorkItem;
  mapping: Mapping;
  phase: RunPhase;
  backend: ExecutionMode;
  triggerSource: TriggerSource;
  dispatchNumber: number;
}

export interface PlanCandidate {
  item: WorkItem;
  mappingKeys: string[];
}

export interface PlanSnapshot {
  candidates: readonly PlanCandidate[];
  mappings: readonly Mapping[];
}

export interface PlanState {
  /** Every non-terminal run (primary legs; shadow legs do not take slots). */
  activeRuns: readonly Run[];
  /** Active (unexpired) dedup entries by issue id. */
  dedup: ReadonlyMap<string, DedupEntry>;
  now: number;
  /** Projects whose monthly spend limit is reached, with the sentence saying so (domain/budget.ts). */
  overBudgetMappings?: ReadonlyMap<string, string>;
}

export interface PlanPolicy {
  /** Failed runs retried before a ticket needs a human (default 2). */
  retryLimit: number;
  /** Effective runner mode: `default` keeps each mapping's own mode. */
  runnerMode: 'default' | 'gha' | 'fly' | 'local' | 'shadow';
  /** Why this evaluation happens (poll cycle or a webhook for one ticket). */
  triggerSource: TriggerSource;
}

export interface DispatchPlan {
  starts: PlannedRun[];
  blockers: Blocker[];
}

const MODE_BACKEND: Record<'gha' | 'fly' | 'local', ExecutionMode> = { gha: 'github-actions', fly: 'fly-machines', local: 'local' };

export function backendFor(mapping: Mapping, runnerMode: PlanPolicy['runnerMode']): ExecutionMode {
  return runnerMode === 'gha' || runnerMode === 'fly' || runnerMode === 'local' ? MODE_BACKEND[runnerMode] : mapping.executionMode;
}

/** Which phase a ticket is ready for, or `planning-pending` when its plan awaits approval. */
export function phaseFor(item: WorkItem, mapping: Mapping): RunPhase | 'planning-pending' {
  if (!mapping.planningEnabled) return 'implement';
  if (item.markers.includes('plan-complete') || item.aiStatus === 'Plan Approved') return 'implement';
  // A `planning` marker with no live run means the plan was posted and waits for a person.
  if (item.markers.includes('planning')) return 'planning-pending';
  return 'plan';
}

export function planDispatch(snapshot: PlanSnapshot, state: PlanState, policy: PlanPolicy): DispatchPlan {
  const mappings = new Map(snapshot.mappings.map((m) => [m.teamKey, m]));
  const busyIssues = new Set(state.activeRuns.map((r) => r.issueId));
  const inProgress = new Map<string, number>();
  for (const run of state.activeRuns) {
    if (!run.shadowOf) inProgress.set(run.mappingKey, (inProgress.get(run.mappingKey) ?? 0) + 1);
  }

  const blockers: Blocker[] = [];
  const ready: { item: WorkItem; mapping: Mapping; phase: RunPhase; dedup: DedupEntry | undefined }[] = [];
  const block = (item: WorkItem, reason: BlockerReason, detail: string, mapping?: Mapping) =>
    blockers.push({
      issueId: item.id,
      identifier: item.identifier,
      title: item.title,
      url: item.url,
      tracker: item.tracker,
      teamKey: item.teamKey,
      reason,
      detail,
      ...(mapping ? { mappingKey: mapping.teamKey } : {}),
    });

  for (const { item, mappingKeys } of snapshot.candidates) {
    if (busyIssues.has(item.id)) continue; // running: not blocked, not startable
    if (item.lifecycle === 'completed' || item.lifecycle === 'canceled') continue;
    const mapping = mappingKeys.map((k) => mappings.get(k)).find((m): m is Mapping => m !== undefined);
    // Before the PR check: a paused ticket often has its PR open, and the operator must see it to resume it.
    if (item.markers.includes('paused')) {
      block(item, 'budget', 'Paused by a spend limit; raise the limit, then resume the ticket', mapping);
      continue;
    }
    if (item.markers.includes('pr-ready')) continue; // done for now: its PR waits for review
    if (!mapping) {
      block(item, 'no-mapping', `No mapping for ${item.tracker} ${item.teamKey}${item.repoFieldValue ? ` / ${item.repoFieldValue}` : ''}`);
      continue;
    }
    if (mapping.paused) {
      block(item, 'paused', `Project ${mapping.teamKey} is paused`, mapping);
      continue;
    }
    const overBudget = state.overBudgetMappings?.get(mapping.teamKey);
    if (overBudget) {
      block(item, 'budget', overBudget, mapping);
      continue;
    }
    const dedup = state.dedup.get(item.id);
    if (item.markers.includes('needs-human') || (dedup?.failures ?? 0) > policy.retryLimit) {
      block(item, 'retry-limit', `${dedup?.failures ?? policy.retryLimit + 1} failed runs (limit ${policy.retryLimit} retries)`, mapping);
      continue;
    }
    if (item.blockedBy.length > 0) {
      block(item, 'blocked-by-dependency', `Blocked by ${item.blockedBy.map((b) => b.identifier).join(', ')}`, mapping);
      continue;
    }
    const phase = phaseFor(item, mapping);
    if (dedup && Date.parse(dedup.expiresAt) > state.now && holdsPhase(dedup, phase)) {
      const wait = Math.ceil((Date.parse(dedup.expiresAt) - state.now) / 60_000);
      const why = dedup.failures ? `retry ${dedup.failures} of ${policy.retryLimit} after back-off` : 'dispatched recently';
      block(item, 'dedup', `${why}; eligible again in ${wait} min`, mapping);
      continue;
    }
    if (phase === 'planning-pending') {
      block(item, 'planning-pending', 'Plan posted; waiting for approval', mapping);
      continue;
    }
    ready.push({ item, mapping, phase, dedup });
  }

  // Implementation before planning when slots are short, then oldest first.
  ready.sort((a, b) => phaseRank(a.phase) - phaseRank(b.phase) || a.item.createdAt.localeCompare(b.item.createdAt) || a.item.identifier.localeCompare(b.item.identifier));

  const starts: PlannedRun[] = [];
  for (const { item, mapping, phase, dedup } of ready) {
    const used = inProgress.get(mapping.teamKey) ?? 0;
    if (used >= mapping.maxInProgressAiIssues) {
      block(item, 'concurrency', `${used} of ${mapping.maxInProgressAiIssues} in progress for ${mapping.teamKey}`, mapping);
      continue;
    }
    inProgress.set(mapping.teamKey, used + 1);
    starts.push({
      item,
      mapping,
      phase,
      backend: backendFor(mapping, policy.runnerMode),
      triggerSource: dedup?.failures ? 'retry' : policy.triggerSource,
      dispatchNumber: (dedup?.dispatchNumber ?? 0) + 1,
    });
  }
  return { starts, blockers };
}

/**
 * A dedup row holds a ticket for the phase its run was dispatched for. A
 * plan's row does not hold a plan that was posted (it waits for approval, and
 * says so) nor the implementation once the plan is approved.
 */
function holdsPhase(entry: DedupEntry, phase: RunPhase | 'planning-pending'): boolean {
  return entry.phase === undefined || entry.phase === phase;
}

function phaseRank(phase: RunPhase): number {
  return phase === 'plan' ? 1 : 0;
}
