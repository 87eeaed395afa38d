import type { AdminSession } from '../../domain/admin-session.js';
import type { DedupEntry } from '../../domain/dedup-entry.js';
import type { InboxDelivery } from '../../domain/inbox-delivery.js';
import type { Mapping } from '../../domain/mapping.js';
import type { Run } from '../../domain/run.js';
import type { RunStep } from '../../domain/step.js';

export interface ClaimKeyEntry {
  runId: string;
  expiresAt: number;
}

/**
 * The small, rewritten-on-every-commit document: only live state. Finished
 * runs, old inbox entries, expired ledger rows and append-only logs live in
 * history streams instead, so a commit costs O(active state).
 */
export interface HotDoc {
  version: 1;
  mappings: Record<string, Mapping>;
  /** Non-terminal runs (and terminal ones for the instant before they move out). */
  runs: Record<string, Run>;
  steps: Record<string, RunStep[]>;
  claimKeys: Record<string, ClaimKeyEntry>;
  dedup: Record<string, DedupEntry>;
  /** Delivery metadata only: payloads live in the payload log (see `PayloadPort`). */
  inbox: Record<string, StoredDelivery>;
  /** jti → expiry in epoch ms. */
  tokens: Record<string, number>;
  settings: Record<string, unknown>;
  adminSessions: Record<string, AdminSession>;
}

/**
 * A delivery as the hot document keeps it: a pointer to its payload instead of
 * the payload, so a commit never rewrites payload bytes. `payload` is only
 * found in documents written before the payload log existed.
 */
export type StoredDelivery = Omit<InboxDelivery, 'payload'> & { payloadRef?: PayloadPointer; payload?: unknown };

export function emptyHotDoc(): HotDoc {
  return {
    version: 1,
    mappings: {},
    runs: {},
    steps: {},
    claimKeys: {},
    dedup: {},
    inbox: {},
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

/** Where one payload sits in the payload log; opaque to everything but its PayloadPort. */
export interface PayloadPointer {
  file: number;
  offset: number;
  length: number;
}

/**
 * Append-only storage for delivery payloads (JSON text). `append` resolves once
 * the bytes are durable; the hot document then refers to them by pointer.
 */
export interface PayloadPort {
  /** Finds the existing files; a torn trailing record is left in place, unreferenced. */
  open(): Promise<void>;
  append(payloads: readonly string[]): Promise<PayloadPointer[]>;
  read(pointer: PayloadPointer): Promise<string>;
  /** The file new payloads go to; it is never reclaimed. */
  readonly activeFile: number;
  /** Deletes every sealed file no live pointer refers to; resolves with how many. */
  reclaim(isReferenced: (file: number) => boolean): Promise<number>;
  close(): Promise<void>;
}
