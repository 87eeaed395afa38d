import type { ExecutionMode, TrackerKind } from './mapping.js';

export type RunPhase = 'plan' | 'implement' | 'gap-fill' | 'review-feedback';

/**
 * Where a run is in its lifecycle; the moves between them are the state
 * machine in `run-status.ts`.
 *
 * - `queued`: waiting for a dispatcher (a cap, a back-off, a manual start).
 * - `claimed`: a replica holds the ticket's claim and is calling the backend.
 * - `launching`: the backend accepted the job; the runner has not reported yet.
 * - `running`: the runner reported.
 * - `retrying`: the backend could not be reached or refused for now; the run
 *   keeps its ticket's slot and is claimed again after a back-off.
 * - `pr_opened`: finished with a pull request (implement, gap-fill, review feedback).
 * - `succeeded`: finished without a pull request — in practice the `plan`
 *   phase, whose product is a plan on the ticket. A PR-producing phase that
 *   finished without one also lands here, so `pr_opened` always means "there is a PR".
 * - `failed`, `cancelled`: ended by an error / stopped by AI-Implement.
 * - `timed_out`: its deadline ended it (the local runner's deadline timer, or
 *   the reaper destroying a job older than maxJobMinutes).
 * - `interrupted`: crash recovery found its job gone with the previous
 *   orchestrator process; recovery starts a new run (source `retry`,
 *   `retryOf` naming this one) while attempts remain.
 * - `deleted`: an operator deleted the finished run; only its id stays, as a
 *   tombstone, so it is never handed out again.
 */
export const RUN_STATUSES = [
  'queued',
  'claimed',
  'launching',
  'running',
  'retrying',
  'pr_opened',
  'succeeded',
  'failed',
  'timed_out',
  'cancelled',
  'interrupted',
  'deleted',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** One recorded status change of a run. */
export interface RunTransition {
  from: RunStatus;
  to: RunStatus;
  at: string;
  reason?: string;
}

/** A run's backend is the execution mode that actually carried it. */
export type RunBackend = ExecutionMode;

/**
 * What started a run, recorded exactly: a full poll, or a Linear / Jira
 * webhook found the ticket ready; a `/ai-implement` PR comment or the
 * `/trigger/gap-fill` route asked for a gap-fill; a review batch; a schedule
 * fired; an approved plan led to its implementation; a failed or interrupted
 * run was tried again; an operator started it by hand.
 */
export const TRIGGER_SOURCES = [
  'poll',
  'linear-webhook',
  'jira-webhook',
  'pr-comment',
  'review',
  'schedule',
  'manual',
  'retry',
  'plan-approval',
  'gap-fill-trigger',
] as const;
export type TriggerSource = (typeof TRIGGER_SOURCES)[number];

/** Trigger source names before issue 19 and what replaced them (`webhook` became one per tracker). */
export const RENAMED_TRIGGER_SOURCES: Readonly<Record<string, string>> = {
  webhook: 'linear-webhook or jira-webhook',
  comment: 'pr-comment',
  trigger: 'gap-fill-trigger',
};

export interface TokenUsage {
  input: number;
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
}

/** The agent that did a run's work (after any fallback) and the model it used. */
export interface RunAgent {
  runtime: string;
  model?: string;
  provider?: string;
  fallbackFrom?: string[];
}

/**
 * One dispatch of an AI agent for one ticket and phase. Timestamps are ISO 8601
 * strings. `runnerMode` is the operator's runner-mode setting at claim time
 * (e.g. `default`, `shadow`), kept apart from `backend` because shadow mode
 * runs one ticket on two backends.
 */
export interface Run {
  id: string;
  issueId: string;
  identifier: string;
  title?: string;
  tracker: TrackerKind;
  mappingKey: string;
  phase: RunPhase;
  status: RunStatus;
  attempt: number;
  dispatchNumber: number;
  backend: RunBackend;
  runnerMode: string;
  triggerSource: TriggerSource;
  upstreamId?: string;
  upstreamUrl?: string;
  sessionImage?: string;
  prUrl?: string;
  prNumber?: number;
  branch?: string;
  summary?: string;
  failureReason?: string;
  failedStep?: string;
  costUsd?: number;
  tokens?: TokenUsage;
  agent?: RunAgent;
  instructions?: string;
  /**
   * Who answers for the run: the ticket assignee's email when the tracker
   * shows one, else the configured fallback (`RUN_OWNER_FALLBACK`) with
   * `ownerFallback: true`; an operator may reassign it.
   */
  owner?: string;
  ownerFallback?: boolean;
  /** The schedule whose fire opened the ticket and started this run. */
  scheduleId?: string;
  /** Id of the primary run this one shadows (shadow legs are inert). */
  shadowOf?: string;
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  /** When the agent made its first model request (the runner reports it); trigger → this is a service level. */
  firstModelRequestAt?: string;
  finishedAt?: string;
  deadlineAt?: string;
  heartbeatAt?: string;
  /** Every status change, oldest first (the newest RUN_TRANSITIONS_KEPT). */
  transitions?: RunTransition[];
  /** The run this one retries (an operator's retry or crash recovery). */
  retryOf?: string;
  /** The replica (Coordination.replicaId) holding the run's claim: the last one that dispatched it. */
  claimedBy?: string;
  /** A re-queued run is not dispatched before this (the backend's Retry-After when it said one). */
  retryAt?: string;
  /**
   * Who is dispatching the run right now and until when (written with each
   * move into `dispatching`). While it holds, no other replica reconciles the
   * run; once it lapses, the dispatcher is presumed dead and the leader
   * reconciles at once.
   */
  dispatchLease?: DispatchLease;
}

/** A replica's claim on one dispatch of a run: `holder` is its replica id, `until` an ISO time. */
export interface DispatchLease {
  holder: string;
  until: string;
}
