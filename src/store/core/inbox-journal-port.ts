import type { InboxDelivery } from '../../domain/inbox-delivery.js';

/** Where one payload sits in the inbox journal; opaque to everything but its port. */
export interface PayloadPointer {
  file: number;
  offset: number;
  length: number;
}

/** What the inbox knows about a delivery besides its payload. */
export type DeliveryMeta = Omit<InboxDelivery, 'payload'>;

/** A delivery as the inbox keeps it in memory and in snapshots: a pointer instead of the payload. */
export type JournaledDelivery = DeliveryMeta & { payloadRef?: PayloadPointer };

/**
 * One inbox mutation. `put` carries the whole metadata of the delivery after
 * the change (so replay is a plain upsert) and, at enqueue only, the payload
 * bytes. A put without payload keeps the payload the delivery had, except
 * that a completed delivery drops it. `drop` forgets the delivery (purge).
 */
export type JournalRecord = { kind: 'put'; delivery: DeliveryMeta; payload?: Buffer } | { kind: 'drop'; id: string };

/**
 * The durable side of the webhook inbox: an append-only journal of inbox
 * mutations plus snapshots of the live inbox, so that a commit holding only
 * inbox changes costs one append and one fdatasync however large the backlog.
 */
export interface InboxJournalPort {
  /** Loads the last snapshot and replays the journal after it. A torn trailing record is ignored: it was never acknowledged. */
  open(): Promise<JournaledDelivery[]>;
  /** Makes the records durable together (one write, one fdatasync); resolves with where each payload landed. */
  append(records: readonly JournalRecord[]): Promise<(PayloadPointer | undefined)[]>;
  read(pointer: PayloadPointer): Promise<Buffer>;
  /** True once the journal since the last checkpoint passed its size or record limit. */
  readonly checkpointDue: boolean;
  /**
   * Cuts the journal: appends from now on go to a new file, and `live` (the
   * inbox as of the cut) is written as a snapshot in the background, so that
   * commits go on meanwhile. Resolves once appends may continue; `snapshotted`
   * settles when the snapshot has become the checkpoint (older journal files
   * are then kept only for the payload bytes live pointers refer to). A cut
   * asked for while the previous snapshot is still being written waits for it.
   */
  checkpoint(live: readonly JournaledDelivery[]): Promise<{ snapshotted: Promise<void> }>;
  /** Deletes journal files a durable snapshot covers that nothing live refers to; resolves with how many. */
  reclaim(isReferenced: (file: number) => boolean): Promise<number>;
  close(): Promise<void>;
}

/** Replay of one record onto the inbox (the same rule in memory, on disk and at open). */
export function applyRecord(entries: Map<string, JournaledDelivery>, record: JournalRecord, pointer: PayloadPointer | undefined): void {
  if (record.kind === 'drop') {
    entries.delete(record.id);
    return;
  }
  const { delivery } = record;
  const next: JournaledDelivery = { ...delivery };
  const ref = pointer ?? entries.get(delivery.id)?.payloadRef;
  if (ref && delivery.status !== 'completed') next.payloadRef = ref;
  entries.set(delivery.id, next);
}
