import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, truncate, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { applyRecord, type InboxJournalPort, type JournaledDelivery, type JournalRecord, type PayloadPointer } from '../core/inbox-journal-port.js';
import { fsyncDir } from './fsync-dir.js';
import { decodeRecords, encodeRecords } from './journal-codec.js';

export const DEFAULT_JOURNAL_FILE_BYTES = 64 * 1024 * 1024;
export const DEFAULT_CHECKPOINT_RECORDS = 100_000;

const pad = (n: number) => String(n).padStart(6, '0');
const journalName = (n: number) => `${pad(n)}.journal`;
const snapshotName = (n: number) => `${pad(n)}.snapshot.json`;
const JOURNAL_PATTERN = /^(\d{6})\.journal$/;
const SNAPSHOT_PATTERN = /^(\d{6})\.snapshot\.json$/;
const TEMP_NAME = '.snapshot.tmp';
/** Deliveries serialised per snapshot write. */
const SNAPSHOT_SLICE = 2_000;

export interface InboxJournalOptions {
  /** Checkpoint (snapshot + new journal file) once the journal file passes this size. */
  maxFileBytes?: number;
  /** … or once this many records were appended since the last checkpoint. */
  checkpointRecords?: number;
}

interface Snapshot {
  version: 1;
  entries: JournaledDelivery[];
}

function numbered(names: string[], pattern: RegExp): number[] {
  return names
    .map((n) => pattern.exec(n)?.[1])
    .filter((n): n is string => n !== undefined)
    .map((n) => Number.parseInt(n, 10))
    .sort((a, b) => a - b);
}

const ignoreMissing = (error: NodeJS.ErrnoException) => {
  if (error.code !== 'ENOENT') throw error;
};

/**
 * The inbox on disk, in `DATA_DIR/inbox/`:
 *
 * - `NNNNNN.journal`: inbox records (see `journal-codec.ts`), appended with one
 *   writev per group commit on a file opened O_DSYNC (the write returns once
 *   the data is on disk, as write + fdatasync would, but in one trip to the
 *   thread pool); an enqueue's record carries the payload bytes, so that is
 *   the only sync an inbox-only commit pays.
 * - `NNNNNN.snapshot.json`: every delivery as of the start of journal NNNNNN,
 *   written atomically (temp file, fdatasync, rename, directory fsync) in the
 *   background while appends go on in journal NNNNNN. The newest snapshot's
 *   number is the checkpoint: replay starts at that journal, so until a
 *   snapshot is renamed into place, the one before it (and every journal after
 *   that) still makes the inbox.
 *
 * Journal files before the checkpoint are no longer replayed; they stay only
 * while a live delivery's payload pointer refers into them, then go.
 */
export class InboxJournal implements InboxJournalPort {
  private files: number[] = [];
  private coveredFrom = 1;
  private size = 0;
  private recordsSinceCheckpoint = 0;
  private appender: FileHandle | undefined;
  /** A write failed part-way: the next append starts a new file rather than write after the debris. */
  private broken = false;
  /** The last snapshot could not be written. */
  private retryCheckpoint = false;
  private readonly readers = new Map<number, Promise<FileHandle>>();
  private reclaiming: Promise<number> = Promise.resolve(0);
  /** Settles once the last snapshot written in the background is done, whatever the outcome (the outcome goes to its checkpoint's caller). */
  private snapshotting: Promise<void> = Promise.resolve();
  private readonly maxFileBytes: number;
  private readonly checkpointRecords: number;

  constructor(
    private readonly dir: string,
    options: InboxJournalOptions = {},
  ) {
    this.maxFileBytes = options.maxFileBytes ?? DEFAULT_JOURNAL_FILE_BYTES;
    this.checkpointRecords = options.checkpointRecords ?? DEFAULT_CHECKPOINT_RECORDS;
  }

  private get activeFile(): number {
    return this.files[this.files.length - 1] ?? 0;
  }

  get checkpointDue(): boolean {
    return this.retryCheckpoint || this.size >= this.maxFileBytes || this.recordsSinceCheckpoint >= this.checkpointRecords;
  }

  async open(): Promise<JournaledDelivery[]> {
    const created = await mkdir(this.dir, { recursive: true });
    if (created !== undefined) await fsyncDir(path.dirname(this.dir));
    const names = await readdir(this.dir);
    if (names.includes(TEMP_NAME)) await unlink(this.pathOf(TEMP_NAME));
    const snapshots = numbered(names, SNAPSHOT_PATTERN);
    this.files = numbered(names, JOURNAL_PATTERN);
    const entries = new Map<string, JournaledDelivery>();
    const checkpoint = snapshots[snapshots.length - 1];
    this.coveredFrom = checkpoint ?? 1;
    if (checkpoint !== undefined) {
      const snapshot = JSON.parse(await readFile(this.pathOf(snapshotName(checkpoint)), 'utf8')) as Snapshot;
      for (const d of snapshot.entries) entries.set(d.id, d);
    }
    this.recordsSinceCheckpoint = 0;
    this.size = 0;
    const replayed = this.files.filter((f) => f >= this.coveredFrom);
    for (const file of replayed) {
      const bytes = await readFile(this.pathOf(journalName(file)));
      const { records, end } = decodeRecords(bytes, file);
      for (const { record, pointer } of records) applyRecord(entries, record, pointer);
      this.recordsSinceCheckpoint += records.length;
      // Only the file being appended to can end in a torn record; cut it off so appends start clean.
      if (file === this.activeFile) {
        if (end < bytes.length) await truncate(this.pathOf(journalName(file)), end);
        this.size = end;
      }
    }
    if (replayed.length === 0) await this.startFile(this.coveredFrom);
    for (const old of snapshots.filter((s) => s < this.coveredFrom)) await unlink(this.pathOf(snapshotName(old))).catch(ignoreMissing);
    return [...entries.values()];
  }

  async append(records: readonly JournalRecord[]): Promise<(PayloadPointer | undefined)[]> {
    if (records.length === 0) return [];
    if (this.broken) {
      await this.startFile(this.activeFile + 1);
      this.broken = false;
    }
    const { chunks, bytes, pointers } = encodeRecords(records, this.activeFile, this.size);
    try {
      this.appender ??= await open(this.pathOf(journalName(this.activeFile)), APPEND_DURABLY);
      await writeAll(this.appender, chunks);
    } catch (error) {
      this.broken = true;
      throw error;
    }
    this.size += bytes;
    this.recordsSinceCheckpoint += records.length;
    return pointers;
  }

  async read(pointer: PayloadPointer): Promise<Buffer> {
    let opening = this.readers.get(pointer.file);
    if (!opening) {
      opening = open(this.pathOf(journalName(pointer.file)), 'r');
      this.readers.set(pointer.file, opening);
      opening.catch(() => this.readers.delete(pointer.file));
    }
    const reader = await opening;
    const buffer = Buffer.allocUnsafe(pointer.length);
    const { bytesRead } = await reader.read(buffer, 0, pointer.length, pointer.offset);
    if (bytesRead !== pointer.length) throw new Error(`inbox payload ${journalName(pointer.file)}@${pointer.offset} is cut short`);
    return buffer;
  }

  async checkpoint(live: readonly JournaledDelivery[]): Promise<{ snapshotted: Promise<void> }> {
    // One snapshot at a time (they share the temp file); a cut due meanwhile waits for it.
    await this.snapshotting;
    this.retryCheckpoint = false;
    // Records appended from now on go to the new file, which the snapshot names as its start.
    const from = this.activeFile + 1;
    await this.startFile(from);
    this.recordsSinceCheckpoint = 0;
    const snapshotted = this.writeSnapshot(from, live).catch((error: unknown) => {
      // The previous checkpoint still stands and every journal after it is kept: try again at the next commit.
      this.retryCheckpoint = true;
      throw error;
    });
    this.snapshotting = snapshotted.then(
      () => undefined,
      () => undefined,
    );
    return { snapshotted };
  }

  /**
   * Written a slice of deliveries at a time, each slice serialised only once
   * the one before it is written, so a large inbox neither holds the event
   * loop for long nor sits in memory as one string.
   */
  private async writeSnapshot(from: number, live: readonly JournaledDelivery[]): Promise<void> {
    const temp = await open(this.pathOf(TEMP_NAME), 'w');
    try {
      let text = '{"version":1,"entries":[';
      for (let i = 0; i < live.length; i += SNAPSHOT_SLICE) {
        text += live
          .slice(i, i + SNAPSHOT_SLICE)
          .map((d) => JSON.stringify(d))
          .join(',');
        if (i + SNAPSHOT_SLICE < live.length) text += ',';
        await temp.writeFile(text, 'utf8');
        text = '';
      }
      await temp.writeFile(`${text}]}\n`, 'utf8');
      await temp.datasync();
    } finally {
      await temp.close();
    }
    await rename(this.pathOf(TEMP_NAME), this.pathOf(snapshotName(from)));
    await fsyncDir(this.dir);
    const previous = this.coveredFrom;
    this.coveredFrom = from;
    await unlink(this.pathOf(snapshotName(previous))).catch(ignoreMissing);
  }

  reclaim(isReferenced: (file: number) => boolean): Promise<number> {
    // One at a time: the commit queue and a purge may both ask.
    this.reclaiming = this.reclaiming.catch(() => 0).then(() => this.reclaimOnce(isReferenced));
    return this.reclaiming;
  }

  private async reclaimOnce(isReferenced: (file: number) => boolean): Promise<number> {
    const dead = this.files.filter((f) => f < this.coveredFrom && !isReferenced(f));
    for (const file of dead) {
      const reader = this.readers.get(file);
      this.readers.delete(file);
      if (reader) await (await reader).close();
      await unlink(this.pathOf(journalName(file))).catch(ignoreMissing);
      this.files = this.files.filter((f) => f !== file);
    }
    return dead.length;
  }

  /** Journal file numbers on disk, for tests and diagnostics. */
  get fileNumbers(): readonly number[] {
    return this.files;
  }

  async close(): Promise<void> {
    await this.snapshotting;
    await this.reclaiming.catch(() => 0);
    await this.appender?.close();
    this.appender = undefined;
    for (const reader of this.readers.values()) await (await reader).close();
    this.readers.clear();
  }

  private async startFile(file: number): Promise<void> {
    await this.appender?.close();
    this.appender = undefined;
    this.appender = await open(this.pathOf(journalName(file)), APPEND_DURABLY);
    this.files.push(file);
    this.size = 0;
    // The new file's directory entry must be durable before pointers refer into it.
    await fsyncDir(this.dir);
  }

  private pathOf(name: string): string {
    return path.join(this.dir, name);
  }
}

/** Appends, each write durable (data and the size needed to read it back) before it returns. */
const APPEND_DURABLY = constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_DSYNC;

/** Most iovecs one writev takes (IOV_MAX on Linux); libuv writes no more than that per call. */
const MAX_IOVECS = 1024;

/**
 * Writes the chunks in order with writev, without first copying them into one
 * buffer (payloads are most of the bytes), picking up after a short write.
 */
async function writeAll(handle: FileHandle, chunks: readonly Buffer[]): Promise<void> {
  let pending = chunks.filter((c) => c.length > 0);
  while (pending.length > 0) {
    const batch = pending.slice(0, MAX_IOVECS);
    let { bytesWritten } = await handle.writev(batch);
    let done = 0;
    while (done < batch.length && bytesWritten >= batch[done]!.length) bytesWritten -= batch[done++]!.length;
    const rest = pending.slice(done);
    if (bytesWritten > 0) rest[0] = rest[0]!.subarray(bytesWritten);
    pending = rest;
  }
}
