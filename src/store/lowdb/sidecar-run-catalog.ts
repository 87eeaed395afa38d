import path from 'node:path';
import { emptyHourly, type RunCatalog } from '../core/run-catalog.js';
import { matchesFilter, type RunFilter } from '../core/run-filter.js';
import { hourOf, RunHistoryIndex, type HourlyCounts, type RunIndexEntry, type RunKey } from '../core/run-index.js';
import type { HistoryPointer } from '../core/hot-doc.js';
import { BloomFilter, hashKey, issueIdKey, runIdKey } from './bloom-filter.js';
import type { JsonlHistory } from './jsonl-history.js';
import { mergeNewestFirst, type LazySource } from './merge-newest-first.js';
import { openRunSegments, pointerKey, sealSegment, type MemorySegment, type RunSegmentFiles, type SealedSegment } from './open-run-segments.js';
import { codesFor, groupCount, SidecarView, type SegmentHeader } from './run-sidecar.js';
import { INDEX_DIR_NAME, SegmentFiles } from './segment-files.js';

/** Bloom filters read at once when they are first needed. */
const BLOOM_READS_IN_FLIGHT = 16;

/**
 * The run index of the lowdb store, on disk beside the history files: the
 * file being appended to is indexed in memory; every file before it has a
 * sidecar (sorted records, Bloom filter, counts) named in a manifest. Boot
 * reads the manifest and the newest file only; a page reads the sidecars of
 * the files it walks through; counts come from the manifest's per-file
 * totals, and only files cut by a date bound are read. Memory holds the
 * manifest, the newest file's index, the Bloom filters (2 bytes per run and
 * per issue) and a few cached sidecars.
 */
export class SidecarRunCatalog implements RunCatalog {
  private sealed: SealedSegment[] = [];
  private current: MemorySegment | undefined;
  /** Rotated out, sidecar being written: still answered from memory until the manifest names it. */
  private sealing: MemorySegment[] = [];
  /** Entries a later record replaced: by pointer, and per file they sit in (to correct that file's totals). */
  private superseded = new Set<string>();
  private replacedIn = new Map<number, RunIndexEntry[]>();
  private blooms: Promise<void> | undefined;
  private sealChain: Promise<void> = Promise.resolve();
  /** The last failure to write a sidecar; the next rotation (or the next open) tries again. */
  sealFailure: unknown;
  generation = 0;
  private readonly files: RunSegmentFiles;

  constructor(
    private readonly history: JsonlHistory,
    historyDir: string,
  ) {
    this.files = new SegmentFiles(path.join(historyDir, 'runs', INDEX_DIR_NAME), (bytes, file) => SidecarView.parse(bytes, file));
  }

  async open(): Promise<void> {
    this.files.forget();
    this.superseded = new Set();
    this.replacedIn = new Map();
    this.blooms = undefined;
    this.sealing = [];
    this.sealFailure = undefined;
    const { sealed, current } = await openRunSegments(this.history, this.files);
    this.sealed = sealed;
    this.current = current;
    for (const s of sealed) for (const e of s.header.replaces) this.noteReplaced(e);
    for (const e of current?.replaces ?? []) this.noteReplaced(e);
  }

  async close(): Promise<void> {
    await this.sealChain;
    this.files.forget();
  }

  private noteReplaced(e: RunIndexEntry): void {
    this.superseded.add(pointerKey(e.pointer.file, e.pointer.offset));
    const list = this.replacedIn.get(e.pointer.file) ?? [];
    list.push(e);
    this.replacedIn.set(e.pointer.file, list);
  }

  private readonly skip = (p: HistoryPointer): boolean => this.superseded.size > 0 && this.superseded.has(pointerKey(p.file, p.offset));

  add(entry: RunIndexEntry, replaces?: RunIndexEntry): void {
    if (!this.current || entry.pointer.file > this.current.file) {
      // The history rotated: the file before is complete, its sidecar is written in the background.
      if (this.current) this.sealing.push(this.current);
      this.current = { file: entry.pointer.file, index: new RunHistoryIndex(), replaces: [] };
      if (this.sealing.length > 0) this.scheduleSeal();
    }
    // Within one file the index keeps the later entry by itself.
    if (replaces && replaces.pointer.file !== entry.pointer.file) {
      this.current.replaces.push(replaces);
      this.noteReplaced(replaces);
    }
    this.current.index.add(entry);
  }

  private scheduleSeal(): void {
    this.sealChain = this.sealChain
      .then(async () => {
        while (this.sealing.length > 0) {
          const sealed = await sealSegment(this.files, this.sealing[0]!);
          await this.files.writeManifest([...this.sealed.map((s) => s.header), sealed.header]);
          // One synchronous step: a reader sees the file in memory or on disk, never both or neither.
          this.sealed = [...this.sealed, sealed];
          this.sealing.shift();
          this.generation++;
        }
      })
      .catch((error: unknown) => {
        this.sealFailure = error;
      });
  }

  private memorySegments(): MemorySegment[] {
    return this.current ? [this.current, ...[...this.sealing].reverse()] : [...this.sealing].reverse();
  }

  recent(id: string): RunIndexEntry | undefined {
    for (const segment of this.memorySegments()) {
      const e = segment.index.get(id);
      if (e && !this.skip(e.pointer)) return e;
    }
    return undefined;
  }

  /** Bloom filters of sealed files, read on first need (a lookup by run or issue id). */
  private ensureBlooms(): Promise<void> {
    this.blooms ??= (async () => {
      const missing = this.sealed.filter((s) => !s.bloom);
      for (let i = 0; i < missing.length; i += BLOOM_READS_IN_FLIGHT) {
        await Promise.all(missing.slice(i, i + BLOOM_READS_IN_FLIGHT).map(async (s) => (s.bloom = BloomFilter.fromBytes(await this.files.readPart(s.header.file, s.header.bloomAt, s.header.bloomBytes)))));
      }
    })().catch((error: unknown) => {
      this.blooms = undefined;
      throw error;
    });
    return this.blooms;
  }

  async find(id: string): Promise<RunIndexEntry | undefined> {
    const recent = this.recent(id);
    if (recent) return recent;
    if (this.sealed.length === 0) return undefined;
    await this.ensureBlooms();
    const key = hashKey(runIdKey(id));
    const sealed = this.sealed;
    for (let s = sealed.length - 1; s >= 0; s--) {
      if (!sealed[s]!.bloom!.has(key)) continue;
      const view = await this.files.view(sealed[s]!.header.file);
      const i = view.findId(id);
      if (i < 0) continue;
      const entry = view.entry(i);
      if (!this.skip(entry.pointer)) return entry;
    }
    return undefined;
  }

  /** Sealed files that may hold matches, by their header (and Bloom filter for an issue). */
  private async candidates(filter: RunFilter, before: RunKey | undefined): Promise<SealedSegment[]> {
    if (filter.issueId !== undefined && this.sealed.length > 0) await this.ensureBlooms();
    const issue = filter.issueId === undefined ? undefined : hashKey(issueIdKey(filter.issueId));
    return this.sealed.filter(({ header: h, bloom }) => {
      if (h.count === 0 || h.maxCreatedMs < filter.fromMs || h.minCreatedMs >= filter.toMs) return false;
      if (before && h.minCreatedMs > before.ms) return false;
      const codes = codesFor(h.dict, filter);
      if (!codes || groupCount(h, codes) === 0) return false;
      return !issue || bloom!.has(issue);
    });
  }

  async *descending(filter: RunFilter, before?: RunKey): AsyncGenerator<RunIndexEntry> {
    const skip = this.skip;
    const inMemory = this.memorySegments().map(function* (segment) {
      for (const e of segment.index.descending(before)) {
        if (e.createdMs < filter.fromMs) return;
        if (matchesFilter(e, filter) && !skip(e.pointer)) yield e;
      }
    });
    const lazy: LazySource[] = (await this.candidates(filter, before)).map(({ header }) => ({
      newestMs: header.maxCreatedMs,
      open: () => this.sealedEntries(header, filter, before),
    }));
    yield* mergeNewestFirst(inMemory, lazy, filter.fromMs);
  }

  private async *sealedEntries(header: SegmentHeader, filter: RunFilter, before: RunKey | undefined): AsyncGenerator<RunIndexEntry> {
    const view = await this.files.view(header.file);
    const match = view.matcher(filter);
    if (!match) return;
    for (let i = view.below(before); i >= 0; i--) {
      const ms = view.createdMs(i);
      if (ms < filter.fromMs) return;
      if (ms >= filter.toMs || !match(i)) continue;
      const e = view.entry(i);
      if (!this.skip(e.pointer)) yield e;
    }
  }

  async count(filter: RunFilter): Promise<number> {
    let n = 0;
    for (const segment of this.memorySegments()) n += segment.index.count(filter, this.skip);
    for (const { header } of await this.candidates(filter, undefined)) {
      const replaced = this.replacedIn.get(header.file) ?? [];
      if (filter.issueId === undefined && header.minCreatedMs >= filter.fromMs && header.maxCreatedMs < filter.toMs) {
        // The whole file is inside the range: its totals answer without reading it.
        n += groupCount(header, codesFor(header.dict, filter)!) - replaced.filter((e) => matchesFilter(e, filter)).length;
        continue;
      }
      const view = await this.files.view(header.file);
      const match = view.matcher(filter)!;
      const end = filter.toMs === Infinity ? view.count : view.lowerBoundMs(filter.toMs);
      for (let i = view.lowerBoundMs(filter.fromMs); i < end; i++) {
        if (match(i) && !(replaced.length > 0 && this.superseded.has(pointerKey(header.file, view.offset(i))))) n++;
      }
    }
    return n;
  }

  async hourly(startMs: number, hours: number): Promise<HourlyCounts> {
    const out = emptyHourly(hours);
    for (const segment of this.memorySegments()) segment.index.addHourly(startMs, out, this.skip);
    for (const { header } of this.sealed) {
      const failedCode = header.dict.status.indexOf('failed');
      const createdInside = header.count > 0 && header.maxCreatedMs >= startMs;
      const failedInside = failedCode >= 0 && header.maxFinishedMs >= startMs;
      if (!createdInside && !failedInside) continue;
      const view = await this.files.view(header.file);
      const replaced = this.replacedIn.has(header.file);
      const gone = (i: number) => replaced && this.superseded.has(pointerKey(header.file, view.offset(i)));
      if (createdInside) {
        for (let i = view.lowerBoundMs(startMs); i < view.count; i++) {
          const h = hourOf(view.createdMs(i), startMs, hours);
          if (h >= 0 && !gone(i)) out.created[h]!++;
        }
      }
      if (failedInside) {
        for (let i = 0; i < view.count; i++) {
          if (view.code(i, 0) !== failedCode) continue;
          const h = hourOf(view.finishedMs(i), startMs, hours);
          if (h >= 0 && !gone(i)) out.failed[h]!++;
        }
      }
    }
    return out;
  }
}
