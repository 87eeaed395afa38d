import type { Mapping } from '../domain/mapping.js';
import { BLOCKER_EXPLANATIONS, phaseFor, type BlockerReason } from '../domain/plan-dispatch.js';
import type { Run } from '../domain/run.js';
import { isTerminal } from '../domain/run-status.js';
import type { WorkItemLifecycle } from '../domain/work-item.js';
import type { IntakeCycleResult } from '../orchestrator/intake-cycle.js';

/**
 * The Work panels (Issues, Pull requests, Blockers) as plain view-models,
 * computed from the poller's latest full cycle and the run ledger. No I/O
 * here: the routes fetch, these shape.
 */

/** The operator guide's words for a ticket's state. */
export type IssueState = 'unstarted' | 'started' | 'completed' | 'cancelled';
/** Ready to implement, waiting for a plan to be written, or waiting for a person to approve one. */
export type IssueReadiness = 'ready-for-implementation' | 'needs-planning' | 'planning-pending';

export interface IssueRow {
  issueId: string;
  identifier: string;
  title: string;
  url: string;
  tracker: string;
  teamKey: string;
  mappingKeys: string[];
  state: IssueState;
  stateName: string;
  readiness: IssueReadiness;
}

export interface MappingLoad {
  mappingKey: string;
  inProgress: number;
  cap: number;
  paused: boolean;
}

export interface IssuesView {
  /** When the cycle these rows come from ran; null before the first one. */
  cycleAt: string | null;
  issues: IssueRow[];
  inProgressByMapping: MappingLoad[];
}

const STATE_OF: Record<WorkItemLifecycle, IssueState> = { unstarted: 'unstarted', started: 'started', completed: 'completed', canceled: 'cancelled' };

export function buildIssuesView(cycle: IntakeCycleResult | undefined, mappings: readonly Mapping[], inProgress: Record<string, number>): IssuesView {
  const byKey = new Map(mappings.map((m) => [m.teamKey, m]));
  const issues: IssueRow[] = [];
  for (const { item, mappingKeys } of cycle?.candidates ?? []) {
    const mapping = mappingKeys.map((k) => byKey.get(k)).find((m): m is Mapping => m !== undefined);
    // Unmatched tickets belong to the Blockers panel (no-mapping), not to the inbox.
    if (!mapping) continue;
    const phase = phaseFor(item, mapping);
    issues.push({
      issueId: item.id,
      identifier: item.identifier,
      title: item.title,
      url: item.url,
      tracker: item.tracker,
      teamKey: item.teamKey,
      mappingKeys,
      state: STATE_OF[item.lifecycle],
      stateName: item.stateName,
      readiness: phase === 'planning-pending' ? 'planning-pending' : phase === 'plan' ? 'needs-planning' : 'ready-for-implementation',
    });
  }
  const keys = new Set([...mappings.map((m) => m.teamKey), ...Object.keys(inProgress)]);
  const inProgressByMapping = [...keys].sort().map((key) => ({
    mappingKey: key,
    inProgress: inProgress[key] ?? 0,
    cap: byKey.get(key)?.maxInProgressAiIssues ?? 0,
    paused: byKey.get(key)?.paused ?? false,
  }));
  return { cycleAt: cycle?.at ?? null, issues, inProgressByMapping };
}

export type PullJobStatus = 'running' | 'completed' | 'failed' | 'review_failed';

export interface PullRow {
  prUrl: string;
  prNumber?: number;
  repo?: string;
  issueId: string;
  identifier: string;
  /** The ticket, when the latest cycle saw it. */
  issueUrl?: string;
  mappingKey: string;
  status: PullJobStatus;
  latestRunId: string;
  latestPhase: string;
  iterations: number;
  lastDispatchAt: string;
  sinceLastDispatchMs: number;
  links: { pullRequest: string; files: string; checks: string; workflowRun?: string };
}

/** Bot PRs from runs (newest first), one row per PR, described by its latest run. */
export function buildPullsView(runs: readonly Run[], cycle: IntakeCycleResult | undefined, now: number): PullRow[] {
  const issueUrls = new Map((cycle?.candidates ?? []).map((c) => [c.item.id, c.item.url]));
  const rows = new Map<string, { latest: Run; count: number; maxDispatch: number }>();
  for (const run of runs) {
    if (!run.prUrl || run.shadowOf) continue;
    const seen = rows.get(run.prUrl);
    if (seen) {
      seen.count++;
      seen.maxDispatch = Math.max(seen.maxDispatch, run.dispatchNumber);
    } else {
      rows.set(run.prUrl, { latest: run, count: 1, maxDispatch: run.dispatchNumber });
    }
  }
  return [...rows.entries()].map(([prUrl, { latest, count, maxDispatch }]) => {
    const issueUrl = issueUrls.get(latest.issueId);
    const repo = repoOfPullUrl(prUrl);
    return {
      prUrl,
      ...(latest.prNumber !== undefined ? { prNumber: latest.prNumber } : {}),
      ...(repo ? { repo } : {}),
      issueId: latest.issueId,
      identifier: latest.identifier,
      ...(issueUrl ? { issueUrl } : {}),
      mappingKey: latest.mappingKey,
      status: pullStatusOf(latest),
      latestRunId: latest.id,
      latestPhase: latest.phase,
      // The dispatch number counts re-dispatches; several runs on one PR (review feedback) count too.
      iterations: Math.max(maxDispatch, count),
      lastDispatchAt: latest.createdAt,
      sinceLastDispatchMs: Math.max(0, now - Date.parse(latest.createdAt)),
      links: { pullRequest: prUrl, files: `${prUrl}/files`, checks: `${prUrl}/checks`, ...(latest.upstreamUrl ? { workflowRun: latest.upstreamUrl } : {}) },
    };
  });
}

export function pullStatusOf(run: Run): PullJobStatus {
  if (!isTerminal(run.status)) return 'running';
  if (run.status === 'succeeded') return 'completed';
  // A failed follow-up on an open PR (review feedback, /ai-implement gap fill) is a failed review round.
  return run.phase === 'review-feedback' || run.phase === 'gap-fill' ? 'review_failed' : 'failed';
}

/** `https://github.com/acme/web/pull/12` → `acme/web` (GitHub Enterprise URLs too). */
export function repoOfPullUrl(url: string): string | undefined {
  return /\/([^/]+)\/([^/]+)\/pull\/\d+\/?$/.exec(url)?.slice(1, 3).join('/');
}

export interface BlockerRow {
  issueId: string;
  identifier: string;
  title: string;
  url: string;
  tracker: string;
  teamKey: string;
  mapping: string | null;
  reason: BlockerReason;
  detail: string;
  explanation: string;
}

export interface BlockersView {
  cycleAt: string | null;
  kpis: { total: number; teamsAffected: number; byConcurrency: number; byDedup: number; byReason: Partial<Record<BlockerReason, number>> };
  blockers: BlockerRow[];
}

export function buildBlockersView(cycle: IntakeCycleResult | undefined): BlockersView {
  const blockers = (cycle?.plan.blockers ?? []).map((b) => ({
    issueId: b.issueId,
    identifier: b.identifier,
    title: b.title,
    url: b.url,
    tracker: b.tracker,
    teamKey: b.teamKey,
    mapping: b.mappingKey ?? null,
    reason: b.reason,
    detail: b.detail,
    explanation: BLOCKER_EXPLANATIONS[b.reason],
  }));
  const byReason: Partial<Record<BlockerReason, number>> = {};
  for (const b of blockers) byReason[b.reason] = (byReason[b.reason] ?? 0) + 1;
  return {
    cycleAt: cycle?.at ?? null,
    kpis: {
      total: blockers.length,
      // A team is its mapping when there is one; an unmapped ticket counts under its tracker team.
      teamsAffected: new Set(blockers.map((b) => b.mapping ?? `${b.tracker}:${b.teamKey}`)).size,
      byConcurrency: byReason.concurrency ?? 0,
      byDedup: byReason.dedup ?? 0,
      byReason,
    },
    blockers,
  };
}
