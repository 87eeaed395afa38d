import type { ExecutionMode, TrackerKind } from './mapping.js';

export type RunPhase = 'plan' | 'implement' | 'gap-fill' | 'review-feedback';

export type RunStatus =
  | 'queued'
  | 'dispatching'
  | 'dispatched'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'cancelled';

/** A run's backend is the execution mode that actually carried it. */
export type RunBackend = ExecutionMode;

/**
 * What started a run, recorded exactly: a full poll or a tracker webhook found
 * the ticket ready; a `/ai-implement` PR comment (webhook) or the
 * `/trigger/gap-fill` route asked for a gap-fill; a review batch; an approved
 * plan led to its implementation; a failed run was tried again; an operator
 * started it by hand; a schedule fired (it opened the ticket too).
 */
export const TRIGGER_SOURCES = ['poll', 'webhook', 'comment', 'trigger', 'review', 'plan-approval', 'retry', 'manual', 'schedule'] as const;
export type TriggerSource = (typeof TRIGGER_SOURCES)[number];

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
