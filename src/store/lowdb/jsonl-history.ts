import { mkdir, open, readdir, readFile, stat, truncate, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { HistoryPointer, HistoryPort, HistoryStream } from '../core/hot-doc.js';
import { fsyncDir } from './fsync-dir.js';

export const DEFAULT_HISTORY_FILE_BYTES = 8 * 1024 * 1024;

interface Reader {
  handle: Promise<FileHandle>;
  /** Reads in flight: a handle is closed only when none is. */
  users: number;
}

/** Read handles kept open per stream: enough for the files a page touches, far below the process's descriptor limit however long history grows. */
const MAX_OPEN_READERS = 32;

interface StreamState {
  dir: string;
  files: number[];
  size: number;
  appender: FileHandle | undefined;
  /** The next append starts a new file (the last one is sealed: its index is written). */
  rotateNext: boolean;
  /** Open read handles by file, least recently used first; promises, so concurrent reads of one file share a single open. */
  readers: Map<number, Reader>;
}

/** Records closer than this are read together: skipping a little costs less than another read. */
const READ_GAP_BYTES = 16 * 1024;
const READ_RANGE_MAX_BYTES = 4 * 1024 * 1024;

interface ReadRange {
  file: number;
  start: number;
  end: number;
  /** Indexes into the pointers asked for. */
  members: number[];
}

function readRanges(pointers: readonly HistoryPointer[]): ReadRange[] {
  const order = pointers.map((_, i) => i).sort((a, b) => pointers[a]!.file - pointers[b]!.file || pointers[a]!.offset - pointers[b]!.offset);
  const ranges: ReadRange[] = [];
  let current: ReadRange | undefined;
  for (const i of order) {
    const p = pointers[i]!;
    const end = p.offset + p.length;
    if (current && current.file === p.file && p.offset <= current.end + READ_GAP_BYTES && end - current.start <= READ_RANGE_MAX_BYTES) {
      current.end = Math.max(current.end, end);
      current.members.push(i);
    } else {
      current = { file: p.file, start: p.offset, end, members: [i] };
      ranges.push(current);
    }
  }
  return ranges;
}

const fileName = (n: number) => `${String(n).padStart(6, '0')}.jsonl`;
const NEWLINE = 0x0a;

/**
 * Append-only JSON Lines files, one folder per stream, rotated by size.
 * Appends are fsync'd before they resolve. A torn last line (a crash mid-append)
 * is cut off when the stream is first touched, so the next append starts on a
 * clean line.
 */
export class JsonlHistory implements HistoryPort {
  private readonly streams = new Map<HistoryStream, Promise<StreamState>>();

  constructor(
    private readonly root: string,
    private readonly maxFileBytes = DEFAULT_HISTORY_FILE_BYTES,
  ) {}

  private state(stream: HistoryStream): Promise<StreamState> {
    let state = this.streams.get(stream);
    if (!state) this.streams.set(stream, (state = this.init(stream)));
    return state;
  }

  private async init(stream: HistoryStream): Promise<StreamState> {
    const dir = path.join(this.root, stream);
    await mkdir(dir, { recursive: true });
    const files = (await readdir(dir))
      .filter((f) => /^\d{6}\.jsonl$/.test(f))
      .map((f) => Number.parseInt(f, 10))
      .sort((a, b) => a - b);
    let size = 0;
    const last = files[files.length - 1];
    if (last !== undefined) {
      const file = path.join(dir, fileName(last));
      const bytes = await readFile(file);
      const clean = bytes.lastIndexOf(NEWLINE) + 1;
      if (clean < bytes.length) await truncate(file, clean);
      size = clean;
    }
    return { dir, files, size, appender: undefined, rotateNext: false, readers: new Map() };
  }

  async append(stream: HistoryStream, records: readonly unknown[]): Promise<HistoryPointer[]> {
    if (records.length === 0) return [];
    const s = await this.state(stream);
    if (s.files.length === 0 || s.size >= this.maxFileBytes || s.rotateNext) await this.rotate(s);
    const file = s.files[s.files.length - 1]!;
    const pointers: HistoryPointer[] = [];
    const chunks: Buffer[] = [];
    let offset = s.size;
    for (const record of records) {
      const line = Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
      pointers.push({ file, offset, length: line.length - 1 });
      chunks.push(line);
      offset += line.length;
    }
    s.appender ??= await open(path.join(s.dir, fileName(file)), 'a');
    await s.appender.write(Buffer.concat(chunks));
    await s.appender.datasync();
    s.size = offset;
    return pointers;
  }

  private async rotate(s: StreamState): Promise<void> {
    await s.appender?.close();
    s.appender = undefined;
    const next = (s.files[s.files.length - 1] ?? 0) + 1;
    const handle = await open(path.join(s.dir, fileName(next)), 'a');
    s.files.push(next);
    s.appender = handle;
    s.size = 0;
    s.rotateNext = false;
    // The new file's directory entry must be durable before records point into it.
    await fsyncDir(s.dir);
  }

  /**
   * Records that sit close together in one file (a page of recent runs is
   * mostly one stretch of the newest file) are read with one read per
   * stretch instead of one per record.
   */
  async read(stream: HistoryStream, pointers: readonly HistoryPointer[]): Promise<unknown[]> {
    if (pointers.length === 0) return [];
    const s = await this.state(stream);
    const out = new Array<unknown>(pointers.length);
    await Promise.all(
      readRanges(pointers).map(async (range) => {
        const reader = this.acquireReader(s, range.file);
        const buffer = Buffer.allocUnsafe(range.end - range.start);
        try {
          await (await reader.handle).read(buffer, 0, buffer.length, range.start);
        } finally {
          reader.users--;
        }
        for (const i of range.members) {
          const p = pointers[i]!;
          out[i] = JSON.parse(buffer.toString('utf8', p.offset - range.start, p.offset - range.start + p.length)) as unknown;
        }
      }),
    );
    return out;
  }

  private acquireReader(s: StreamState, file: number): Reader {
    let reader = s.readers.get(file);
    if (reader) s.readers.delete(file);
    else {
      const opened: Reader = { handle: open(path.join(s.dir, fileName(file)), 'r'), users: 0 };
      // A failed open is not remembered: the next read tries again.
      opened.handle.catch(() => s.readers.get(file) === opened && s.readers.delete(file));
      reader = opened;
    }
    reader.users++;
    s.readers.set(file, reader);
    for (const [f, r] of s.readers) {
      if (s.readers.size <= MAX_OPEN_READERS) break;
      if (r.users > 0) continue;
      s.readers.delete(f);
      r.handle.then((h) => h.close()).catch(() => undefined);
    }
    return reader;
  }

  async scan(stream: HistoryStream, visit: (record: unknown, pointer: HistoryPointer) => void): Promise<void> {
    for (const file of await this.files(stream)) await this.scanFile(stream, file, visit);
  }

  /** The stream's file numbers, oldest first (touching the stream cuts a torn last line first). */
  async files(stream: HistoryStream): Promise<number[]> {
    return [...(await this.state(stream)).files];
  }

  /** Reads one file of a stream record by record; a damaged line is skipped, the rest still loads. */
  async scanFile(stream: HistoryStream, file: number, visit: (record: unknown, pointer: HistoryPointer) => void): Promise<void> {
    const s = await this.state(stream);
    const bytes = await readFile(path.join(s.dir, fileName(file)));
    let start = 0;
    for (let end = bytes.indexOf(NEWLINE); end >= 0; end = bytes.indexOf(NEWLINE, start)) {
      let record: unknown;
      try {
        record = JSON.parse(bytes.toString('utf8', start, end));
      } catch {
        record = undefined;
      }
      if (record !== undefined) visit(record, { file, offset: start, length: end - start });
      start = end + 1;
    }
  }

  /** Makes the next append open a new file: records must never join a file whose index is sealed. */
  async startNewFile(stream: HistoryStream): Promise<void> {
    (await this.state(stream)).rotateNext = true;
  }

  /** Bytes per stream file, for diagnostics and the rotation test. */
  async fileSizes(stream: HistoryStream): Promise<number[]> {
    const s = await this.state(stream);
    return Promise.all(s.files.map(async (f) => (await stat(path.join(s.dir, fileName(f)))).size));
  }

  async close(): Promise<void> {
    const states = await Promise.all(this.streams.values());
    this.streams.clear();
    for (const s of states) {
      await s.appender?.close();
      for (const reader of s.readers.values()) await (await reader.handle).close();
    }
  }
}
