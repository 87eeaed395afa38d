import { DueIndex } from './inbox-due-index.js';
import { applyRecord, type DeliveryMeta, type InboxJournalPort, type JournaledDelivery, type JournalRecord, type PayloadPointer } from './inbox-journal-port.js';

/**
 * The inbox as the engine holds it: every delivery within retention, indexed
 * in memory and rebuilt at open from the journal. Changes made inside a commit
 * are recorded (journal records to append, previous values to restore) so the
 * commit can make them durable, or undo them if that fails.
 *
 * Journal files are reclaimed by reference count: a file's count drops only
 * once the commit that released the last pointer into it is durable.
 *
 * Payload bytes are not kept in memory once their commit is durable: they are
 * read back by pointer at lease time (one positional read, from the page cache
 * while the delivery is fresh). Holding them for the worker instead would keep
 * every payload alive past the young generation, and the old-generation
 * collections that then free them stall the acknowledgement path.
 */
export class InboxState {
  private readonly entries = new Map<string, JournaledDelivery>();
  /** Pending and leased deliveries in lease order: the only ones a lease needs to look at. */
  private readonly due = new DueIndex();
  private readonly refs = new Map<number, number>();
  private records: JournalRecord[] = [];
  private undo = new Map<string, JournaledDelivery | undefined>();
  private released: PayloadPointer[] = [];
  /** Files this commit's payloads were counted against, to uncount if it fails. */
  private retained: number[] = [];
  /** Set when a file lost its last reference: a reclaim may delete it. */
  reclaimDue = true;

  constructor(readonly journal: InboxJournalPort) {}

  load(deliveries: readonly JournaledDelivery[]): void {
    this.entries.clear();
    this.due.clear();
    this.refs.clear();
    for (const d of deliveries) {
      this.entries.set(d.id, d);
      this.due.set(d.id, d);
      if (d.payloadRef) this.retain(d.payloadRef.file);
    }
    this.reclaimDue = true;
  }

  get(id: string): JournaledDelivery | undefined {
    return this.entries.get(id);
  }

  backlog(): { pending: number; leased: number } {
    return this.due.counts();
  }

  /** The `limit` oldest deliveries due at `now` (pending, or leased past their lease), oldest first. */
  dueDeliveries(limit: number, now: number): JournaledDelivery[] {
    return this.due.due(limit, now).map((id) => this.entries.get(id)!);
  }

  all(): IterableIterator<JournaledDelivery> {
    return this.entries.values();
  }

  /** Records the delivery's new metadata; `payload` only at enqueue. */
  put(delivery: DeliveryMeta, payload?: Buffer): void {
    const { id } = delivery;
    const previous = this.remember(id);
    const record: JournalRecord = payload ? { kind: 'put', delivery, payload } : { kind: 'put', delivery };
    applyRecord(this.entries, record, undefined);
    this.due.set(id, delivery);
    if (delivery.status === 'completed' && previous?.payloadRef) this.released.push(previous.payloadRef);
    this.records.push(record);
  }

  drop(id: string): void {
    const previous = this.remember(id);
    this.entries.delete(id);
    this.due.set(id, undefined);
    if (previous?.payloadRef) this.released.push(previous.payloadRef);
    this.records.push({ kind: 'drop', id });
  }

  /** The payload's bytes, read by pointer (the delivery's own unless one is given). */
  async readPayload(id: string, pointer: PayloadPointer | undefined): Promise<Buffer | undefined> {
    const ref = pointer ?? this.entries.get(id)?.payloadRef;
    return ref ? this.journal.read(ref) : undefined;
  }

  /** Appends this commit's records durably (nothing to do when there are none). */
  async flush(): Promise<void> {
    const records = this.records;
    if (records.length === 0) return;
    const pointers = await this.journal.append(records);
    records.forEach((record, i) => {
      const pointer = pointers[i];
      if (!pointer || record.kind !== 'put') return;
      const current = this.entries.get(record.delivery.id);
      // Completed within this very commit: nothing will ever read the bytes.
      if (!current || current.status === 'completed') return;
      current.payloadRef = pointer;
      this.retain(pointer.file);
      this.retained.push(pointer.file);
    });
  }

  /** The commit is durable: forget the undo log and drop the references it released. */
  settle(): void {
    this.records = [];
    this.undo.clear();
    this.retained = [];
    for (const pointer of this.released.splice(0)) this.drop_(pointer.file);
  }

  /** The commit failed: put every delivery it touched back as it was. */
  rollback(): void {
    for (const [id, previous] of this.undo) {
      if (previous) this.entries.set(id, previous);
      else this.entries.delete(id);
      this.due.set(id, previous);
    }
    for (const file of this.retained.splice(0)) this.drop_(file);
    this.records = [];
    this.undo.clear();
    this.released = [];
  }

  get pendingRecords(): number {
    return this.records.length;
  }

  isReferenced(file: number): boolean {
    return (this.refs.get(file) ?? 0) > 0;
  }

  /** A copy of every delivery, for a snapshot. */
  snapshot(): JournaledDelivery[] {
    return [...this.entries.values()].map((d) => ({ ...d }));
  }

  private remember(id: string): JournaledDelivery | undefined {
    const current = this.entries.get(id);
    if (!this.undo.has(id)) this.undo.set(id, current && { ...current });
    return current;
  }

  private retain(file: number): void {
    this.refs.set(file, (this.refs.get(file) ?? 0) + 1);
  }

  private drop_(file: number): void {
    const left = (this.refs.get(file) ?? 1) - 1;
    if (left > 0) this.refs.set(file, left);
    else {
      this.refs.delete(file);
      this.reclaimDue = true;
    }
  }
}
