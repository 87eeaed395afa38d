import type { AdminSession } from '../domain/admin-session.js';
import type { AuditEvent } from '../domain/audit-event.js';
import type { DedupEntry } from '../domain/dedup-entry.js';
import type { InboxDelivery } from '../domain/inbox-delivery.js';
import type { Mapping } from '../domain/mapping.js';
import type { ReaperAction } from '../domain/reaper-action.js';
import type { Run } from '../domain/run.js';
import type { SealedSecret } from '../domain/sealed-secret.js';
import type { Schedule } from '../domain/schedule.js';
import type { RunStep } from '../domain/step.js';

/**
 * Everything a store holds, one record at a time: what `npm run migrate-store`
 * reads out of one store and writes into another. Audit and reaper entries
 * carry their position in append order (`seq`, from 0), so the order (and the
 * meaning of list cursors) survives the move.
 */
export type StoreRecord =
  | { kind: 'mapping'; mapping: Mapping }
  | { kind: 'run'; run: Run; steps: RunStep[] }
  | { kind: 'claim-key'; key: string; runId: string; expiresAtMs: number }
  | { kind: 'dedup'; entry: DedupEntry }
  | { kind: 'delivery'; delivery: Omit<InboxDelivery, 'payload'>; payload?: Buffer }
  /** A runner token jti or a webhook replay key. */
  | { kind: 'one-time-key'; key: string; expiresAtMs: number }
  | { kind: 'setting'; key: string; value: unknown }
  | { kind: 'admin-session'; session: AdminSession }
  | { kind: 'secret'; secret: SealedSecret }
  | { kind: 'schedule'; schedule: Schedule }
  | { kind: 'audit'; seq: number; event: AuditEvent }
  | { kind: 'reaper'; seq: number; action: ReaperAction };

export type StoreRecordKind = StoreRecord['kind'];

export const STORE_RECORD_KINDS: readonly StoreRecordKind[] = [
  'mapping',
  'run',
  'claim-key',
  'dedup',
  'delivery',
  'one-time-key',
  'setting',
  'admin-session',
  'secret',
  'schedule',
  'audit',
  'reaper',
];
