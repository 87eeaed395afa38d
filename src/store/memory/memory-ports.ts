import { emptyHotDoc, type HistoryPointer, type HistoryPort, type HistoryStream, type HotDoc, type HotPort } from '../core/hot-doc.js';
import { applyRecord, type InboxJournalPort, type JournaledDelivery, type JournalRecord, type PayloadPointer } from '../core/inbox-journal-port.js';

/**
 * History kept as JSON strings in arrays, so a read returns a fresh copy just
 * like a file read would. Survives close/open of the same store object.
 */
export class MemoryHistory implements HistoryPort {
  private readonly streams = new Map<HistoryStream, string[]>();

  private lines(stream: HistoryStream): string[] {
    let list = this.streams.get(stream);
    if (!list) this.streams.set(stream, (list = []));
    return list;
  }

  async append(stream: HistoryStream, records: readonly unknown[]): Promise<HistoryPointer[]> {
    const lines = this.lines(stream);
    return records.map((r) => {
      const line = JSON.stringify(r);
      lines.push(line);
      return { file: 0, offset: lines.length - 1, length: line.length };
    });
  }

  async read(stream: HistoryStream, pointers: readonly HistoryPointer[]): Promise<unknown[]> {
    const lines = this.lines(stream);
    return pointers.map((p) => JSON.parse(lines[p.offset]!) as unknown);
  }

  async scan(stream: HistoryStream, visit: (record: unknown, pointer: HistoryPointer) => void): Promise<void> {
    this.lines(stream).forEach((line, i) => visit(JSON.parse(line), { file: 0, offset: i, length: line.length }));
  }

  async close(): Promise<void> {}
}

/** Holds the hot document in memory; saving is a no-op because nothing survives the process anyway. */
export class MemoryHot implements HotPort {
  private doc: HotDoc = emptyHotDoc();

  async open(): Promise<HotDoc> {
    return this.doc;
  }

  async reload(): Promise<HotDoc> {
    return this.doc;
  }

  async save(doc: HotDoc): Promise<void> {
    this.doc = doc;
  }

  async close(): Promise<void> {}
}

/**
 * The inbox journal in memory: the replayed state plus payload bytes, with the
 * same replay rule as the file journal. Survives close/open of the same store object.
 */
export class MemoryInboxJournal implements InboxJournalPort {
  private readonly entries = new Map<string, JournaledDelivery>();
  private readonly payloads = new Map<number, Buffer>();
  private next = 0;
  readonly checkpointDue = false;

  async open(): Promise<JournaledDelivery[]> {
    return [...this.entries.values()].map((d) => ({ ...d }));
  }

  async append(records: readonly JournalRecord[]): Promise<(PayloadPointer | undefined)[]> {
    return records.map((record) => {
      const before = record.kind === 'drop' ? record.id : record.delivery.id;
      const pointer = record.kind === 'put' && record.payload ? { file: 0, offset: this.next++, length: record.payload.length } : undefined;
      if (pointer && record.kind === 'put') this.payloads.set(pointer.offset, record.payload!);
      const old = this.entries.get(before)?.payloadRef;
      applyRecord(this.entries, record, pointer);
      // Payload bytes nothing refers to any more are dropped, as journal files are reclaimed.
      if (old && this.entries.get(before)?.payloadRef !== old) this.payloads.delete(old.offset);
      return pointer;
    });
  }

  async read(pointer: PayloadPointer): Promise<Buffer> {
    const bytes = this.payloads.get(pointer.offset);
    if (!bytes) throw new Error(`payload ${pointer.offset} is gone`);
    return bytes;
  }

  async checkpoint(): Promise<{ snapshotted: Promise<void> }> {
    return { snapshotted: Promise.resolve() };
  }

  async reclaim(): Promise<number> {
    return 0;
  }

  async close(): Promise<void> {}
}
