import { isRunRecord } from '../core/run-catalog.js';
import { RunHistoryIndex, toIndexEntry, type RunIndexEntry } from '../core/run-index.js';
import { BloomFilter, hashKey, runIdKey } from './bloom-filter.js';
import type { JsonlHistory } from './jsonl-history.js';
import { encodeSidecar, isCurrentHeader, SidecarView, type SegmentHeader } from './run-sidecar.js';
import type { SegmentFiles } from './segment-files.js';

export type RunSegmentFiles = SegmentFiles<SegmentHeader, SidecarView>;

/** A history file whose index is held in memory: the one being appended to, or one waiting for its sidecar. */
export interface MemorySegment {
  file: number;
  index: RunHistoryIndex;
  /** Entries of earlier files that records of this file replace. */
  replaces: RunIndexEntry[];
}

/** A history file whose index is on disk; its Bloom filter is read on first need. */
export interface SealedSegment {
  header: SegmentHeader;
  bloom?: BloomFilter;
}

export const pointerKey = (file: number, offset: number) => `${file}:${offset}`;

/** Smallest record a history line can hold, to size the duplicate filter of a migration from the file sizes. */
const MIN_RECORD_BYTES = 512;

/** Indexes one history file in memory (one file at a time, so memory is bounded by the rotation size). */
export async function scanSegment(history: JsonlHistory, file: number): Promise<{ segment: MemorySegment; ids: string[] }> {
  const segment: MemorySegment = { file, index: new RunHistoryIndex(), replaces: [] };
  const ids: string[] = [];
  await history.scanFile('runs', file, (record, pointer) => {
    if (!isRunRecord(record)) return;
    const replaces = record.replaces;
    if (replaces && typeof replaces.pointer?.file === 'number' && replaces.pointer.file !== file) segment.replaces.push(replaces);
    segment.index.add(toIndexEntry(record.run, pointer));
    ids.push(record.run.id);
  });
  return { segment, ids };
}

/** Writes a segment's sidecar (not yet the manifest, which makes it count). */
export async function sealSegment(files: RunSegmentFiles, segment: MemorySegment): Promise<SealedSegment> {
  const { bytes, header, bloom } = encodeSidecar(segment.file, segment.index.entries(), segment.replaces);
  await files.writeSidecar(segment.file, bytes);
  files.remember(segment.file, SidecarView.parse(bytes, segment.file));
  return { header, bloom };
}

/**
 * A data directory written before the on-disk index has no `replaces` marks:
 * a run that was written to history twice (a crash between the history append
 * and the hot rewrite, then a second finish) is found here instead, so the
 * later record wins as it did when all of history was indexed in memory. A
 * filter of every id seen so far picks the few candidates; the sealed files'
 * own filters and sidecars confirm them.
 */
class LegacyDuplicates {
  private readonly seen: BloomFilter;
  private readonly replaced = new Set<string>();

  constructor(expectedRuns: number) {
    this.seen = BloomFilter.forKeys(expectedRuns);
  }

  async resolve(segment: MemorySegment, ids: readonly string[], sealed: readonly SealedSegment[], files: RunSegmentFiles): Promise<void> {
    const candidates = [...new Set(ids.filter((id) => this.seen.has(runIdKey(id))))];
    for (const id of ids) this.seen.add(runIdKey(id));
    for (const id of candidates) {
      const key = hashKey(runIdKey(id));
      for (let s = sealed.length - 1; s >= 0; s--) {
        if (!sealed[s]!.bloom?.has(key)) continue;
        const view = await files.view(sealed[s]!.header.file);
        const i = view.findId(id);
        if (i < 0 || this.replaced.has(pointerKey(view.header.file, view.offset(i)))) continue;
        segment.replaces.push(view.entry(i));
        this.replaced.add(pointerKey(view.header.file, view.offset(i)));
        break;
      }
    }
  }
}

/**
 * Boot: reads the manifest and indexes only the newest history file in
 * memory. Files the manifest does not name yet (rotated just before a crash,
 * or every file of a data directory from before the on-disk index) are sealed
 * first, one at a time; that one-time migration reads history once with
 * memory bounded by one file.
 */
export async function openRunSegments(history: JsonlHistory, files: RunSegmentFiles): Promise<{ sealed: SealedSegment[]; current: MemorySegment | undefined }> {
  const manifest = await files.readManifest();
  const onDisk = await history.files('runs');
  const present = new Set(onDisk);
  // A file indexed by an older build (no runtime or owner codes) is indexed again, keeping the replacements it noted.
  const stale = new Map(
    (manifest ?? []).filter((h) => present.has(h.file) && !isCurrentHeader(h)).map((h) => [h.file, h.replaces.map((e) => ({ ...e, runtime: e.runtime ?? '', owner: e.owner ?? '' }))]),
  );
  const keepStaleReplaces = (segment: MemorySegment) => {
    for (const e of stale.get(segment.file) ?? []) {
      if (!segment.replaces.some((r) => r.id === e.id && r.pointer.file === e.pointer.file && r.pointer.offset === e.pointer.offset)) segment.replaces.push(e);
    }
  };
  const sealed: SealedSegment[] = (manifest ?? []).filter((h) => present.has(h.file) && !stale.has(h.file)).map((header) => ({ header }));
  const sealedFiles = new Set(sealed.map((s) => s.header.file));
  const newest = onDisk[onDisk.length - 1];
  const pending = onDisk.filter((f) => !sealedFiles.has(f) && f !== newest);
  let duplicates: LegacyDuplicates | undefined;
  if (manifest === undefined && onDisk.length > 1) {
    const bytes = (await history.fileSizes('runs')).reduce((a, b) => a + b, 0);
    duplicates = new LegacyDuplicates(Math.ceil(bytes / MIN_RECORD_BYTES));
  }
  for (const file of pending) {
    const { segment, ids } = await scanSegment(history, file);
    keepStaleReplaces(segment);
    await duplicates?.resolve(segment, ids, sealed, files);
    sealed.push(await sealSegment(files, segment));
  }
  sealed.sort((a, b) => a.header.file - b.header.file);
  if (pending.length > 0 || manifest === undefined || sealed.length !== manifest.length) await files.writeManifest(sealed.map((s) => s.header));
  if (newest === undefined) return { sealed, current: undefined };
  if (sealedFiles.has(newest)) {
    await history.startNewFile('runs');
    return { sealed, current: undefined };
  }
  const { segment, ids } = await scanSegment(history, newest);
  keepStaleReplaces(segment);
  await duplicates?.resolve(segment, ids, sealed, files);
  return { sealed, current: segment };
}
