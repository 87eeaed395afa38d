import type { AdminSession } from '../../domain/admin-session.js';
import type { DedupEntry } from '../../domain/dedup-entry.js';
import type { InboxDelivery } from '../../domain/inbox-delivery.js';
import type { Mapping } from '../../domain/mapping.js';
import type { Run } from '../../domain/run.js';
import type { SealedSecret } from '../../domain/sealed-secret.js';
import type { Schedule } from '../../domain/schedule.js';
import type { PayloadPointer } from './inbox-journal-port.js';
import type { RunStep } from '../../domain/step.js';
import type { RunIndexEntry } from './run-index.js';

export interface ClaimKeyEntry {
  runId: string;
  expiresAt: number;
}

/**
 * The small document rewritten by every commit that changes it: only live
 * state. Finished runs, expired ledger rows and append-only logs live in
 * history streams, and the inbox in its own journal, so a commit costs
 * O(active state) and an inbox-only commit does not rewrite it at all.
 */
export interface HotDoc {
  version: 1;
  mappings: Record<string, Mapping>;
  /** Non-terminal runs (and terminal ones for the instant before they move out). */
  runs: Record<string, Run>;
  steps: Record<string, RunStep[]>;
  claimKeys: Record<string, ClaimKeyEntry>;
  dedup: Record<string, DedupEntry>;
  /**
   * Only in documents written before the inbox journal: moved into the
   * journal at open (see `migrate-legacy-inbox.ts`), then left out.
   */
  inbox?: Record<string, LegacyDelivery>;
  /**
   * One-time keys → expiry in epoch ms: runner token jtis, and the replay keys
   * of webhook bodies (`NewDelivery.replayKey`, prefixed so they never meet a
   * jti). `tokens.purgeExpired` forgets both once expired.
   */
  tokens: Record<string, number>;
  settings: Record<string, unknown>;
  adminSessions: Record<string, AdminSession>;
  /** Sealed secrets by id (absent in documents written before the secrets broker). */
  secrets?: Record<string, SealedSecret>;
  /** Scheduled runs by id (absent in documents written before schedules). */
  schedules?: Record<string, Schedule>;
  /**
   * Finished runs an operator deleted, by id. History files are append-only,
   * so a deletion is this tombstone: every read leaves the run out, and counts
   * subtract it (hence the index fields). Absent in documents written before
   * runs could be deleted.
   */
  deletedRuns?: Record<string, DeletedRun>;
}

/** What a tombstone keeps: the index fields its history entry was counted by. */
export type DeletedRun = Omit<RunIndexEntry, 'pointer'> & { deletedAt: string };

/**
 * A delivery as hot documents before the inbox journal kept it: a pointer
 * into the old payload log, or (older still) the payload inline.
 */
export type LegacyDelivery = Omit<InboxDelivery, 'payload'> & { payloadRef?: PayloadPointer; payload?: unknown };

export function emptyHotDoc(): HotDoc {
  return {
    version: 1,
    mappings: {},
    runs: {},
    steps: {},
    claimKeys: {},
    dedup: {},
    tokens: {},
    settings: {},
    adminSessions: {},
  };
}

export type HistoryStream = 'runs' | 'inbox' | 'dedup' | 'audit' | 'reaper';

/** Where one history record sits; opaque to everything but its HistoryPort. */
export interface HistoryPointer {
  file: number;
  offset: number;
  length: number;
}

/** A finished run as it is kept in history: the run and its steps together. */
export interface RunHistoryRecord {
  run: Run;
  steps: RunStep[];
  /**
   * An earlier history entry of the same run that this record supersedes
   * (written when a run whose history copy lost to its hot copy after a crash
   * finishes again), so an index built from the files alone knows to drop it.
   */
  replaces?: RunIndexEntry;
}

/** Append-only record streams. `append` resolves once the records are durable. */
export interface HistoryPort {
  append(stream: HistoryStream, records: readonly unknown[]): Promise<HistoryPointer[]>;
  read(stream: HistoryStream, pointers: readonly HistoryPointer[]): Promise<unknown[]>;
  scan(stream: HistoryStream, visit: (record: unknown, pointer: HistoryPointer) => void): Promise<void>;
  close(): Promise<void>;
}

/** Where the hot document is kept. `save` resolves once the document is durable. */
export interface HotPort {
  /** Acquires the place (e.g. the directory lock) and reads the last durable document. */
  open(): Promise<HotDoc | null>;
  /** Reads the last durable document again, after a failed commit. */
  reload(): Promise<HotDoc | null>;
  save(doc: HotDoc): Promise<void>;
  /** Releases whatever `open` acquired. */
  close(): Promise<void>;
}
