import type { Mapping } from '../domain/mapping.js';
import { BLOCKER_EXPLANATIONS, phaseFor, type BlockerReason } from '../domain/plan-dispatch.js';
import type { Run, RunPhase, RunStatus } from '../domain/run.js';
import { SUCCESSFUL_RUN_STATUSES, isTerminal } from '../domain/run-status.js';
import type { WorkItemLifecycle } from '../domain/work-item.js';
import type { IntakeCycleResult } from '../orchestrator/intake-cycle.js';

/**
 * The Work data (Issues, Pull requests, Blockers), computed once for both
 * doors from the poller's latest full cycle and the run ledger: `/api/*`
 * answers it as JSON and the `/admin` panels only dress it (labels, tones,
 * "x ago", links). No I/O here: `work-queries.ts` reads, these shape.
 */

/** The operator guide's words for a ticket's state. */
export type IssueState = 'unstarted' | 'started' | 'completed' | 'cancelled';
/** Ready to implement, waiting for a plan to be written, or waiting for a person to approve one. */
export type IssueReadiness = 'ready-for-implementation' | 'needs-planning' | 'planning-pending';
/**
 * What the run ledger adds: a live latest run is `in-progress` on any row; a
 * ticket the last poll no longer returns is `done` when its last run succeeded
 * and `needs-attention` when it failed or was cancelled.
 */
export type IssueProgress = 'in-progress' | 'done' | 'needs-attention';

/** The ticket's latest primary run (shadow legs are inert and never count). */
export interface IssueLastRun {
  id: string;
  phase: RunPhase;
  status: RunStatus;
  createdAt: string;
  prUrl?: string;
}

export interface IssueRow {
  issueId: string;
  identifier: string;
  title: string;
  /** The ticket's page; a ticket known only from run history has none. */
  url?: string;
  tracker: string;
  /** The tracker's team (Linear team, Jira project); unknown for a ticket known only from run history. */
  teamKey?: string;
  mappingKeys: string[];
  state: IssueState;
  stateName: string;
  /** From the mapping's planning rules; null for a ticket the last poll no longer returns (nothing to judge it by). */
  readiness: IssueReadiness | null;
  progress?: IssueProgress;
  /** `tracker`: the last poll returned it; `history`: only recent runs know it (finished, or waiting for review). */
  source: 'tracker' | 'history';
  lastRun?: IssueLastRun;
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

/**
 * The Issues panel and `GET /api/issues`: the last poll's tickets matched by a
 * mapping, then the tickets of recent runs (`runs`, newest first) that the poll
 * no longer returns — a ticket whose run opened a PR leaves the poll while it
 * waits for review, and the operator still wants to see it.
 */
export function buildIssuesView(cycle: IntakeCycleResult | undefined, mappings: readonly Mapping[], inProgress: Record<string, number>, runs: readonly Run[] = []): IssuesView {
  const byKey = new Map(mappings.map((m) => [m.teamKey, m]));
  const latestRun = new Map<string, Run>();
  for (const run of runs) if (!run.shadowOf && !latestRun.has(run.issueId)) latestRun.set(run.issueId, run);

  const issues: IssueRow[] = [];
  const polled = new Set<string>();
  for (const { item, mappingKeys } of cycle?.candidates ?? []) {
    polled.add(item.id);
    const mapping = mappingKeys.map((k) => byKey.get(k)).find((m): m is Mapping => m !== undefined);
    // Unmatched tickets belong to the Blockers panel (no-mapping), not to the inbox; the poll still returns them, so no history row either.
    if (!mapping) continue;
    const phase = phaseFor(item, mapping);
    const run = latestRun.get(item.id);
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
      ...(run && !isTerminal(run.status) ? { progress: 'in-progress' as const } : {}),
      source: 'tracker',
      ...(run ? { lastRun: lastRunOf(run) } : {}),
    });
  }
  for (const run of latestRun.values()) {
    if (polled.has(run.issueId)) continue;
    issues.push(historyRow(run));
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

/** A ticket only the ledger knows: its state is read from its latest run's outcome. */
function historyRow(run: Run): IssueRow {
  const live = !isTerminal(run.status);
  const done = SUCCESSFUL_RUN_STATUSES.includes(run.status);
  return {
    issueId: run.issueId,
    identifier: run.identifier,
    title: run.title ?? '',
    tracker: run.tracker,
    mappingKeys: [run.mappingKey],
    state: live ? 'started' : done ? 'completed' : run.status === 'cancelled' ? 'cancelled' : 'started',
    stateName: done && run.prUrl ? 'pull request open' : '',
    readiness: null,
    progress: live ? 'in-progress' : done ? 'done' : 'needs-attention',
    source: 'history',
    lastRun: lastRunOf(run),
  };
}

function lastRunOf(run: Run): IssueLastRun {
  return { id: run.id, phase: run.phase, status: run.status, createdAt: run.createdAt, ...(run.prUrl ? { prUrl: run.prUrl } : {}) };
}

export type PullJobStatus = 'running' | 'completed' | 'failed' | 'review_failed';

export interface PullRow {
  prUrl: string;
  prNumber?: number;
  repo?: string;
  issueId: string;
  identifier: string;
  title: string;
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

/** These phases work on a PR that already exists, even when the run did not record its URL. */
const FOLLOW_UP_PHASES: readonly RunPhase[] = ['review-feedback', 'gap-fill'];

/**
 * Bot PRs from runs (newest first), one row per PR, described by its latest
 * run. A PR run is sometimes started with only the PR number (the webhook gave
 * no html_url), so a follow-up run without a URL is counted on its ticket's PR.
 */
export function buildPullsView(runs: readonly Run[], cycle: IntakeCycleResult | undefined, now: number, mappings: readonly Mapping[] = []): PullRow[] {
  const issueUrls = new Map((cycle?.candidates ?? []).map((c) => [c.item.id, c.item.url]));
  const repoOfMapping = new Map(mappings.map((m) => [m.teamKey, `${m.owner}/${m.repo}`]));
  const primary = runs.filter((run) => !run.shadowOf);
  const prsOfIssue = new Map<string, string[]>();
  for (const run of primary) {
    if (!run.prUrl) continue;
    const prs = prsOfIssue.get(run.issueId) ?? [];
    if (!prs.includes(run.prUrl)) prs.push(run.prUrl);
    prsOfIssue.set(run.issueId, prs);
  }
  const prUrlOf = (run: Run): string | undefined => {
    if (run.prUrl) return run.prUrl;
    if (!FOLLOW_UP_PHASES.includes(run.phase)) return undefined;
    const prs = prsOfIssue.get(run.issueId) ?? [];
    // A recorded number must match: a run on another PR of the same ticket is not this one's iteration.
    return run.prNumber !== undefined ? prs.find((url) => numberOfPullUrl(url) === run.prNumber) : prs[0];
  };

  const rows = new Map<string, { latest: Run; count: number; maxDispatch: number; title?: string }>();
  for (const run of primary) {
    const prUrl = prUrlOf(run);
    if (!prUrl) continue;
    const seen = rows.get(prUrl);
    if (seen) {
      seen.count++;
      seen.maxDispatch = Math.max(seen.maxDispatch, run.dispatchNumber);
      seen.title ??= run.title;
    } else {
      rows.set(prUrl, { latest: run, count: 1, maxDispatch: run.dispatchNumber, ...(run.title ? { title: run.title } : {}) });
    }
  }
  return [...rows.entries()].map(([prUrl, { latest, count, maxDispatch, title }]) => {
    const issueUrl = issueUrls.get(latest.issueId);
    // The URL says where the PR lives; the mapping's repo is the fallback for a URL we cannot read.
    const repo = repoOfPullUrl(prUrl) ?? repoOfMapping.get(latest.mappingKey);
    const prNumber = latest.prNumber ?? numberOfPullUrl(prUrl);
    return {
      prUrl,
      ...(prNumber !== undefined ? { prNumber } : {}),
      ...(repo ? { repo } : {}),
      issueId: latest.issueId,
      identifier: latest.identifier,
      title: title ?? '',
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
  if (SUCCESSFUL_RUN_STATUSES.includes(run.status)) return 'completed';
  // A failed follow-up on an open PR (review feedback, /ai-implement gap fill) is a failed review round.
  return run.phase === 'review-feedback' || run.phase === 'gap-fill' ? 'review_failed' : 'failed';
}

/** `https://github.com/acme/web/pull/12` → `acme/web` (GitHub Enterprise URLs too). */
export function repoOfPullUrl(url: string): string | undefined {
  return /\/([^/]+)\/([^/]+)\/pull\/\d+\/?$/.exec(url)?.slice(1, 3).join('/');
}

/** `https://github.com/acme/web/pull/12` → 12. */
export function numberOfPullUrl(url: string): number | undefined {
  const digits = /\/pull\/(\d+)\/?$/.exec(url)?.[1];
  return digits ? Number(digits) : undefined;
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
