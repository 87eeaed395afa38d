import { mkdir, open, readdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { PayloadPointer, PayloadPort } from '../core/hot-doc.js';
import { fsyncDir } from './fsync-dir.js';

export const DEFAULT_PAYLOAD_FILE_BYTES = 64 * 1024 * 1024;

const FILE_PATTERN = /^\d{6}\.log$/;
const fileName = (n: number) => `${String(n).padStart(6, '0')}.log`;

/**
 * Inbox payloads, appended to numbered files and rotated by size. Each payload
 * is its UTF-8 text plus a newline (for people reading the file); nothing ever
 * walks the file, records are found by the pointer the hot document keeps. So
 * a torn trailing record (a crash mid-append, before the commit that would
 * have referenced it) needs no repair: it is never pointed to, later appends
 * go after it, and it goes away with its file.
 *
 * A file is deleted once it is sealed (not the one being appended to) and no
 * durable pointer refers to it.
 */
export class PayloadLog implements PayloadPort {
  private files: number[] = [];
  private size = 0;
  private appender: FileHandle | undefined;
  /** Promises, so concurrent reads of one file share a single open. */
  private readonly readers = new Map<number, Promise<FileHandle>>();

  constructor(
    private readonly dir: string,
    private readonly maxFileBytes = DEFAULT_PAYLOAD_FILE_BYTES,
  ) {}

  get activeFile(): number {
    return this.files[this.files.length - 1] ?? 0;
  }

  async open(): Promise<void> {
    const created = await mkdir(this.dir, { recursive: true });
    if (created !== undefined) await fsyncDir(path.dirname(this.dir));
    this.files = (await readdir(this.dir))
      .filter((f) => FILE_PATTERN.test(f))
      .map((f) => Number.parseInt(f, 10))
      .sort((a, b) => a - b);
    const last = this.files[this.files.length - 1];
    this.size = last === undefined ? 0 : (await stat(this.pathOf(last))).size;
  }

  async append(payloads: readonly string[]): Promise<PayloadPointer[]> {
    if (payloads.length === 0) return [];
    if (this.files.length === 0 || this.size >= this.maxFileBytes) await this.rotate();
    const file = this.activeFile;
    const chunks: Buffer[] = [];
    const pointers: PayloadPointer[] = [];
    let offset = this.size;
    for (const text of payloads) {
      const bytes = Buffer.from(`${text}\n`, 'utf8');
      pointers.push({ file, offset, length: bytes.length - 1 });
      chunks.push(bytes);
      offset += bytes.length;
    }
    this.appender ??= await open(this.pathOf(file), 'a');
    await this.appender.write(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    await this.appender.datasync();
    this.size = offset;
    return pointers;
  }

  private async rotate(): Promise<void> {
    await this.appender?.close();
    this.appender = undefined;
    const next = this.activeFile + 1;
    this.appender = await open(this.pathOf(next), 'a');
    this.files.push(next);
    this.size = 0;
    // The new file's directory entry must be durable before pointers refer into it.
    await fsyncDir(this.dir);
  }

  async read(pointer: PayloadPointer): Promise<string> {
    let opening = this.readers.get(pointer.file);
    if (!opening) {
      opening = open(this.pathOf(pointer.file), 'r');
      this.readers.set(pointer.file, opening);
      opening.catch(() => this.readers.delete(pointer.file));
    }
    const reader = await opening;
    const buffer = Buffer.allocUnsafe(pointer.length);
    const { bytesRead } = await reader.read(buffer, 0, pointer.length, pointer.offset);
    if (bytesRead !== pointer.length) throw new Error(`payload ${fileName(pointer.file)}@${pointer.offset} is cut short`);
    return buffer.toString('utf8');
  }

  async reclaim(isReferenced: (file: number) => boolean): Promise<number> {
    const active = this.activeFile;
    const dead = this.files.filter((f) => f !== active && !isReferenced(f));
    for (const file of dead) {
      const reader = this.readers.get(file);
      this.readers.delete(file);
      if (reader) await (await reader).close();
      await unlink(this.pathOf(file)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
      this.files = this.files.filter((f) => f !== file);
    }
    return dead.length;
  }

  /** Bytes per payload file, for diagnostics and tests. */
  async fileSizes(): Promise<Map<number, number>> {
    const sizes = await Promise.all(this.files.map(async (f) => [f, (await stat(this.pathOf(f))).size] as const));
    return new Map(sizes);
  }

  async close(): Promise<void> {
    await this.appender?.close();
    this.appender = undefined;
    for (const reader of this.readers.values()) await (await reader).close();
    this.readers.clear();
  }

  private pathOf(file: number): string {
    return path.join(this.dir, fileName(file));
  }
}
