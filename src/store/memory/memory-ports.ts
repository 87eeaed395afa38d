import { emptyHotDoc, type HistoryPointer, type HistoryPort, type HistoryStream, type HotDoc, type HotPort, type PayloadPointer, type PayloadPort } from '../core/hot-doc.js';

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
 * Payload text in memory, one "file" per `fileChars` characters so that
 * reclaiming behaves as it does on disk. Survives close/open of the same store object.
 */
export class MemoryPayloads implements PayloadPort {
  private readonly files = new Map<number, string[]>();
  private active = 1;
  private activeChars = 0;

  constructor(private readonly fileChars = 8 * 1024 * 1024) {}

  get activeFile(): number {
    return this.active;
  }

  async open(): Promise<void> {}

  async append(payloads: readonly string[]): Promise<PayloadPointer[]> {
    if (payloads.length === 0) return [];
    if (this.activeChars >= this.fileChars) {
      this.active += 1;
      this.activeChars = 0;
    }
    let file = this.files.get(this.active);
    if (!file) this.files.set(this.active, (file = []));
    return payloads.map((text) => {
      file.push(text);
      this.activeChars += text.length;
      return { file: this.active, offset: file.length - 1, length: text.length };
    });
  }

  async read(pointer: PayloadPointer): Promise<string> {
    const text = this.files.get(pointer.file)?.[pointer.offset];
    if (text === undefined) throw new Error(`payload ${pointer.file}:${pointer.offset} is gone`);
    return text;
  }

  async reclaim(isReferenced: (file: number) => boolean): Promise<number> {
    let removed = 0;
    for (const file of [...this.files.keys()]) {
      if (file === this.active || isReferenced(file)) continue;
      this.files.delete(file);
      removed++;
    }
    return removed;
  }

  async close(): Promise<void> {}
}
