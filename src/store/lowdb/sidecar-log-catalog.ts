import path from 'node:path';
import { addToTally, logKeysOf, matchesKeys, type AppendLogStream, type LogCatalog, type LogEntry, type LogKeyFilter, type LogTally } from '../core/log-catalog.js';
import type { JsonlHistory } from './jsonl-history.js';
import { encodeLogSidecar, logCodesFor, LogSidecarView, type LogSegmentHeader } from './log-sidecar.js';
import { INDEX_DIR_NAME, SegmentFiles } from './segment-files.js';

/** A file's entries in memory; `base` is the seq of its first entry. */
interface MemoryLogSegment {
  file: number;
  base: number;
  entries: LogEntry[];
}

interface SealedLogSegment {
  header: LogSegmentHeader;
  base: number;
}

/**
 * The audit or reaper log's index on disk, like the run index: the file
 * being appended to in memory, every file before it as a sidecar named in a
 * manifest. A page walks back from the newest file and skips files whose
 * counts say nothing there matches; a summary since a time reads only files
 * that straddle it.
 */
export class SidecarLogCatalog implements LogCatalog {
  private sealed: SealedLogSegment[] = [];
  private current: MemoryLogSegment | undefined;
  private sealing: MemoryLogSegment[] = [];
  private sealChain: Promise<void> = Promise.resolve();
  sealFailure: unknown;
  private readonly files: SegmentFiles<LogSegmentHeader, LogSidecarView>;

  constructor(
    private readonly history: JsonlHistory,
    historyDir: string,
    private readonly stream: AppendLogStream,
  ) {
    this.files = new SegmentFiles(path.join(historyDir, stream, INDEX_DIR_NAME), (bytes, file) => LogSidecarView.parse(bytes, file), 4);
  }

  /** Boot: the manifest, files not yet sealed (once, after a crash or from the previous format), the newest file in memory. */
  async open(): Promise<void> {
    this.files.forget();
    this.sealing = [];
    this.sealFailure = undefined;
    const manifest = await this.files.readManifest();
    const onDisk = await this.history.files(this.stream);
    const present = new Set(onDisk);
    const headers = (manifest ?? []).filter((h) => present.has(h.file));
    const sealedFiles = new Set(headers.map((h) => h.file));
    const newest = onDisk[onDisk.length - 1];
    const pending = onDisk.filter((f) => !sealedFiles.has(f) && f !== newest);
    for (const file of pending) headers.push(await this.seal(await this.scan(file, 0)));
    headers.sort((a, b) => a.file - b.file);
    if (pending.length > 0 || (manifest === undefined && onDisk.length > 0) || headers.length !== (manifest ?? []).length) await this.files.writeManifest(headers);
    let base = 0;
    this.sealed = headers.map((header) => {
      const s = { header, base };
      base += header.count;
      return s;
    });
    this.current = undefined;
    if (newest !== undefined && sealedFiles.has(newest)) await this.history.startNewFile(this.stream);
    else if (newest !== undefined) this.current = await this.scan(newest, base);
  }

  private async scan(file: number, base: number): Promise<MemoryLogSegment> {
    const entries: LogEntry[] = [];
    await this.history.scanFile(this.stream, file, (record, pointer) => {
      entries.push({ atMs: Date.parse(String((record as Record<string, unknown>)['at'])), keys: logKeysOf(this.stream, record), pointer });
    });
    return { file, base, entries };
  }

  private async seal(segment: MemoryLogSegment): Promise<LogSegmentHeader> {
    const { bytes, header } = encodeLogSidecar(segment.file, segment.entries);
    await this.files.writeSidecar(segment.file, bytes);
    return header;
  }

  async close(): Promise<void> {
    await this.sealChain;
    this.files.forget();
  }

  get size(): number {
    const last = this.current ?? this.sealing[this.sealing.length - 1];
    if (last) return last.base + last.entries.length;
    const sealed = this.sealed[this.sealed.length - 1];
    return sealed ? sealed.base + sealed.header.count : 0;
  }

  add(entry: LogEntry): void {
    if (!this.current || entry.pointer.file > this.current.file) {
      const base = this.size;
      if (this.current) this.sealing.push(this.current);
      this.current = { file: entry.pointer.file, base, entries: [] };
      if (this.sealing.length > 0) this.scheduleSeal();
    }
    this.current.entries.push(entry);
  }

  private scheduleSeal(): void {
    this.sealChain = this.sealChain
      .then(async () => {
        while (this.sealing.length > 0) {
          const segment = this.sealing[0]!;
          const header = await this.seal(segment);
          await this.files.writeManifest([...this.sealed.map((s) => s.header), header]);
          this.sealed = [...this.sealed, { header, base: segment.base }];
          this.sealing.shift();
        }
      })
      .catch((error: unknown) => {
        this.sealFailure = error;
      });
  }

  async *descending(startSeq: number, filter: LogKeyFilter): AsyncGenerator<{ seq: number; entry: LogEntry }> {
    const memory = [...(this.current ? [this.current] : []), ...[...this.sealing].reverse()];
    for (const segment of memory) {
      for (let i = Math.min(startSeq - segment.base, segment.entries.length - 1); i >= 0; i--) {
        const entry = segment.entries[i]!;
        if (matchesKeys(entry.keys, filter)) yield { seq: segment.base + i, entry };
      }
    }
    const sealed = this.sealed;
    for (let s = sealed.length - 1; s >= 0; s--) {
      const { header, base } = sealed[s]!;
      if (base > startSeq) continue;
      const codes = logCodesFor(header, filter);
      if (!codes || !header.groups.some(([c1, c2]) => (codes[0] < 0 || c1 === codes[0]) && (codes[1] < 0 || c2 === codes[1]))) continue;
      const view = await this.files.view(header.file);
      for (let i = Math.min(startSeq - base, header.count - 1); i >= 0; i--) if (view.matches(i, codes)) yield { seq: base + i, entry: view.entry(i) };
    }
  }

  async tallySince(sinceMs: number): Promise<LogTally> {
    const tally = new Map<string, [string, string, number]>();
    for (const segment of [...(this.current ? [this.current] : []), ...this.sealing]) {
      for (const e of segment.entries) if (e.atMs >= sinceMs) addToTally(tally, e.keys, 1);
    }
    for (const { header } of this.sealed) {
      if (header.count === 0 || header.maxAtMs < sinceMs) continue;
      if (header.minAtMs >= sinceMs) {
        // The whole file is inside the window: its counts answer without reading it.
        for (const [c1, c2, n] of header.groups) addToTally(tally, [header.dict[0][c1!]!, header.dict[1][c2!]!], n!);
        continue;
      }
      const view = await this.files.view(header.file);
      for (let i = 0; i < header.count; i++) if (view.atMs(i) >= sinceMs) addToTally(tally, view.entry(i).keys, 1);
    }
    return [...tally.values()];
  }
}
