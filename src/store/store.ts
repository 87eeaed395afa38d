import type { AdminSession } from '../domain/admin-session.js';
import type { AuditEvent } from '../domain/audit-event.js';
import type { DedupEntry } from '../domain/dedup-entry.js';
import type { InboxDelivery, NewDelivery } from '../domain/inbox-delivery.js';
import type { Mapping, TrackerKind } from '../domain/mapping.js';
import type { ReaperAction } from '../domain/reaper-action.js';
import type { DispatchLease, Run, RunBackend, RunPhase, RunStatus, TriggerSource } from '../domain/run.js';
import type { RunStep } from '../domain/step.js';
import type { SealedSecret } from '../domain/sealed-secret.js';
import type { Schedule } from '../domain/schedule.js';

/** Milliseconds since the epoch, or an ISO 8601 string. */
export type TimeInput = number | string;

/** Injected time source in epoch milliseconds. */
export type Clock = () => number;

export interface Page<T> {
  items: T[];
  /** Opaque; pass back to get the next (older) page. Absent on the last page. */
  nextCursor?: string;
}

export interface MappingRepo {
  get(teamKey: string): Promise<Mapping | undefined>;
  list(): Promise<Mapping[]>;
  upsert(mapping: Mapping): Promise<Mapping>;
  /** Resolves true when something was deleted. */
  delete(teamKey: string): Promise<boolean>;
}

/** What a dispatcher knows when it wants to own a ticket for one phase. */
export interface ClaimIntent {
  id?: string;
  issueId: string;
  identifier: string;
  title?: string;
  tracker: TrackerKind;
  mappingKey: string;
  phase: RunPhase;
  backend: RunBackend;
  runnerMode: string;
  triggerSource: TriggerSource;
  status?: 'claimed' | 'queued';
  /** The run this claim retries (an operator's retry, crash recovery). */
  retryOf?: string;
  attempt?: number;
  dispatchNumber?: number;
  instructions?: string;
  shadowOf?: string;
  /** The schedule whose fire started the run. */
  scheduleId?: string;
  deadlineAt?: string;
  /** The run's owner (an email) and whether it is the configured fallback rather than the ticket's assignee. */
  owner?: string;
  ownerFallback?: boolean;
  /** The agent runtime the project names at claim; the runner's result replaces it with the one that did the work. */
  agentRuntime?: string;
  /** The claiming replica's lease on the dispatch that follows the claim. */
  dispatchLease?: DispatchLease;
  /**
   * Caller-chosen idempotency key (e.g. `gap-fill:<comment id>`): a second
   * claim with the same key while it is remembered returns the first run,
   * even if that run has finished. Remembered for `dedupKeyTtlMs` (7 days).
   */
  dedupKey?: string;
  dedupKeyTtlMs?: number;
}

export interface DueRunLeaseRequest {
  holder: string;
  leaseMs: number;
  limit: number;
}

export type ClaimResult = { claimed: true; run: Run } | { claimed: false; existing: Run };

export type RunPatch = Partial<Omit<Run, 'id' | 'createdAt' | 'updatedAt'>>;

export interface RunExpectation {
  expectStatus?: RunStatus | readonly RunStatus[];
  expectAttempt?: number;
}

export interface ActiveRunFilter {
  mappingKey?: string;
  issueId?: string;
  phase?: RunPhase;
  backend?: RunBackend;
  status?: RunStatus | readonly RunStatus[];
}

export interface RunQuery {
  limit?: number;
  cursor?: string;
  status?: RunStatus | readonly RunStatus[];
  mappingKey?: string;
  backend?: RunBackend;
  runnerMode?: string;
  triggerSource?: TriggerSource;
  issueId?: string;
  /** `run.agent.runtime` (the project's runtime from the claim until the runner reports the one it used). */
  runtime?: string;
  /** `run.owner`, exactly. */
  owner?: string;
  /** createdAt >= from */
  from?: TimeInput;
  /** createdAt < to */
  to?: TimeInput;
}

export interface HourBucket {
  /** ISO start of the hour bucket. */
  start: string;
  created: number;
  failed: number;
}

export interface RunStats {
  /** 24 buckets, oldest first, the last one containing now. */
  hours: HourBucket[];
  createdLast24h: number;
  failedLast24h: number;
  activeCount: number;
  inProgressByMapping: Record<string, number>;
}

export interface RunRepo {
  /** Atomic: creates a run only if no live run exists for (issueId, phase) — shadow legs apart from primaries — nor for `dedupKey`. */
  claimTicket(intent: ClaimIntent): Promise<ClaimResult>;
  /**
   * The dispatch queue: takes up to `limit` queued runs that are due
   * (`retryAt`, else `updatedAt`, at or before the store clock's now), oldest
   * due first, and moves each to `dispatching` under the caller's lease
   * (`holder`, now + `leaseMs`), without a deadline (the dispatch sets a fresh
   * one). Atomic per run: callers on several replicas at once never take the
   * same run (PostgreSQL: `FOR UPDATE SKIP LOCKED`).
   */
  leaseDueRuns(request: DueRunLeaseRequest): Promise<Run[]>;
  /** Compare-and-set patch; ConflictError on a failed expectation, bad transition or terminal run. */
  updateRun(id: string, patch: RunPatch, expect?: RunExpectation): Promise<Run>;
  getRun(id: string): Promise<Run | undefined>;
  listActiveRuns(filter?: ActiveRunFilter): Promise<Run[]>;
  /** Newest first (by createdAt) over active and finished runs. */
  listRuns(query?: RunQuery): Promise<Page<Run>>;
  countRuns(query?: Omit<RunQuery, 'limit' | 'cursor'>): Promise<number>;
  stats(): Promise<RunStats>;
  /** Upsert by (runId, step.id); ConflictError once the run is terminal. */
  upsertStep(step: Omit<RunStep, 'updatedAt'>): Promise<RunStep>;
  listSteps(runId: string): Promise<RunStep[]>;
  /**
   * Removes a finished run and its steps: afterwards no read returns it (get,
   * list, count, stats, steps). ConflictError while the run is live; false
   * for an unknown or already deleted run. Its id is not handed out again.
   */
  deleteRun(id: string): Promise<boolean>;
}

export interface DedupLedger {
  put(issueId: string, entry: Omit<DedupEntry, 'issueId'>): Promise<DedupEntry>;
  /** Expired entries read as absent. */
  get(issueId: string): Promise<DedupEntry | undefined>;
  listActive(): Promise<DedupEntry[]>;
  delete(issueId: string): Promise<boolean>;
  /** Moves expired rows out of the hot state; resolves with how many. */
  purgeExpired(): Promise<number>;
}

export interface WebhookInbox {
  enqueueDelivery(delivery: NewDelivery): Promise<{ inserted: boolean }>;
  /** Oldest-first due deliveries, leased until now + leaseMs. */
  leaseDeliveries(limit: number, leaseMs: number, now?: number): Promise<InboxDelivery[]>;
  completeDelivery(id: string): Promise<void>;
  /** retryAt null gives up on the delivery (status `dead`). */
  failDelivery(id: string, error: string, retryAt: TimeInput | null): Promise<void>;
  getDelivery(id: string): Promise<InboxDelivery | undefined>;
  /** How many deliveries wait to be handled (pending or leased), without reading any. */
  backlog(): Promise<{ pending: number; leased: number }>;
  /** Moves completed/dead deliveries older than the retention (≥ 8 days) out. */
  purgeExpired(): Promise<number>;
}

export interface TokenLedger {
  /** True the first time a jti is seen, false after. */
  consumeTokenJti(jti: string, expiresAt: TimeInput): Promise<boolean>;
  purgeExpired(): Promise<number>;
}

export interface SettingsRepo {
  get<T = unknown>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<boolean>;
  all(): Promise<Record<string, unknown>>;
}

/** Sealed secrets; the store never sees a value in clear. */
export interface SecretRepo {
  list(): Promise<SealedSecret[]>;
  get(id: string): Promise<SealedSecret | undefined>;
  put(secret: SealedSecret): Promise<SealedSecret>;
  delete(id: string): Promise<boolean>;
}

/** A change to a schedule; a key present with `undefined` removes that field (e.g. `nextRunAt` once a one-off fired). */
export type SchedulePatch = Partial<Omit<Schedule, 'id' | 'createdAt'>>;

export interface ScheduleRepo {
  /** Oldest first (by createdAt, then id). */
  list(): Promise<Schedule[]>;
  get(id: string): Promise<Schedule | undefined>;
  /** ValidationError without an id, ConflictError when the id is taken. */
  create(schedule: Schedule): Promise<Schedule>;
  /**
   * Applies `patch`; undefined for an unknown schedule. With `expectNextRunAt`
   * the change is a compare-and-set on the next fire (`null`: none is set):
   * ConflictError when another writer moved it first, so one fire is claimed
   * once across replicas and restarts.
   */
  update(id: string, patch: SchedulePatch, expectNextRunAt?: string | null): Promise<Schedule | undefined>;
  /** Resolves true when something was deleted. */
  delete(id: string): Promise<boolean>;
}

export interface AdminSessionRepo {
  create(session: AdminSession): Promise<AdminSession>;
  /** Expired sessions read as absent. */
  getByTokenHash(tokenHash: string): Promise<AdminSession | undefined>;
  revoke(id: string): Promise<boolean>;
  revokeAll(): Promise<number>;
  revokeWhereFingerprintNot(fingerprint: string): Promise<number>;
  purgeExpired(): Promise<number>;
}

export interface ReaperSummary {
  total: number;
  byRule: Record<string, number>;
  destroyed: number;
  dryRun: number;
}

export interface ReaperLog {
  append(action: ReaperAction): Promise<void>;
  listRecent(limit: number): Promise<ReaperAction[]>;
  summary(since: TimeInput): Promise<ReaperSummary>;
}

export interface AuditQuery {
  limit?: number;
  cursor?: string;
  actor?: string;
  action?: string;
}

export interface AuditLog {
  append(event: AuditEvent): Promise<void>;
  list(query?: AuditQuery): Promise<Page<AuditEvent>>;
}

/**
 * The durable ledger. Every method resolves only once its change is durable.
 * Callers never see the underlying documents; returned objects are copies.
 */
export interface Store {
  readonly isOpen: boolean;
  open(): Promise<void>;
  close(): Promise<void>;
  readonly mappings: MappingRepo;
  readonly runs: RunRepo;
  readonly dedup: DedupLedger;
  readonly inbox: WebhookInbox;
  readonly tokens: TokenLedger;
  readonly settings: SettingsRepo;
  readonly secrets: SecretRepo;
  readonly schedules: ScheduleRepo;
  readonly adminSessions: AdminSessionRepo;
  readonly reaper: ReaperLog;
  readonly audit: AuditLog;
}

/** Thrown by any store call made before `open()` or after `close()`. */
export class StoreNotOpenError extends Error {
  override readonly name = 'StoreNotOpenError';
}
