import type { Run } from '../../domain/run.js';
import type { HistoryPointer } from './hot-doc.js';
import { matchesFields, ownerOf, runtimeOf, type FilterableRun, type RunFilter } from './run-filter.js';
import { upgradeLegacyRun } from '../../domain/legacy-run-names.js';

/** What an index keeps per finished run: enough to filter, page and count without reading the record. */
export interface RunIndexEntry extends FilterableRun {
  id: string;
  createdMs: number;
  finishedMs: number;
  pointer: HistoryPointer;
}

/** A position in the run listing: (createdAt, id). */
export interface RunKey {
  ms: number;
  id: string;
}

/** Per-hour counts of an aggregate window, oldest hour first. */
export interface HourlyCounts {
  created: number[];
  failed: number[];
}

/** Tells an index to leave out entries a later record replaced. */
export type SkipPointer = (pointer: HistoryPointer) => boolean;

/** Sort key of the run listing: newest first by createdAt, id breaks ties. */
export function compareKey(aMs: number, aId: string, bMs: number, bId: string): number {
  if (aMs !== bMs) return aMs - bMs;
  return aId < bId ? -1 : aId > bId ? 1 : 0;
}

/** A history record's index entry, in today's status and source names whatever build wrote the record. */
export function toIndexEntry(written: Run, pointer: HistoryPointer): RunIndexEntry {
  const run = upgradeLegacyRun(written);
  const createdMs = Date.parse(run.createdAt);
  return {
    id: run.id,
    createdMs,
    finishedMs: Date.parse(run.finishedAt ?? run.updatedAt),
    status: run.status,
    mappingKey: run.mappingKey,
    backend: run.backend,
    runnerMode: run.runnerMode,
    triggerSource: run.triggerSource,
    issueId: run.issueId,
    runtime: runtimeOf(run),
    owner: ownerOf(run),
    pointer,
  };
}

export function hourOf(ms: number, startMs: number, hours: number): number {
  const i = Math.floor((ms - startMs) / 3600_000);
  return i >= 0 && i < hours ? i : -1;
}

/**
 * In-memory index over finished runs, kept sorted by (createdAt, id) so a page
 * is a binary search plus a short walk, with failure times sorted separately
 * so the 24 h failure buckets need no full scan. The memory store indexes its
 * whole history with one; the lowdb store only the file it is appending to.
 */
export class RunHistoryIndex {
  private readonly sorted: RunIndexEntry[] = [];
  private readonly byId = new Map<string, RunIndexEntry>();
  private readonly failures: { at: number; id: string }[] = [];

  get size(): number {
    return this.sorted.length;
  }

  /** Entries oldest first (a snapshot the caller may keep). */
  entries(): readonly RunIndexEntry[] {
    return this.sorted.slice();
  }

  get newestCreatedMs(): number {
    return this.sorted[this.sorted.length - 1]?.createdMs ?? -Infinity;
  }

  get(id: string): RunIndexEntry | undefined {
    return this.byId.get(id);
  }

  /** A later record for the same run replaces the earlier one. */
  add(entry: RunIndexEntry): void {
    const previous = this.byId.get(entry.id);
    if (previous) this.remove(previous);
    this.byId.set(entry.id, entry);
    this.sorted.splice(this.upperBound(entry.createdMs, entry.id), 0, entry);
    if (entry.status === 'failed') {
      const at = entry.finishedMs;
      let lo = 0;
      let hi = this.failures.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (this.failures[mid]!.at <= at) lo = mid + 1;
        else hi = mid;
      }
      this.failures.splice(lo, 0, { at, id: entry.id });
    }
  }

  private remove(entry: RunIndexEntry): void {
    const at = this.upperBound(entry.createdMs, entry.id) - 1;
    if (this.sorted[at] === entry) this.sorted.splice(at, 1);
    if (entry.status === 'failed') {
      const i = this.failures.findIndex((f) => f.id === entry.id);
      if (i >= 0) this.failures.splice(i, 1);
    }
    this.byId.delete(entry.id);
  }

  /** First position whose key is greater than (ms, id). */
  private upperBound(ms: number, id: string): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = this.sorted[mid]!;
      if (compareKey(e.createdMs, e.id, ms, id) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First position whose createdMs is >= ms. */
  private lowerBoundMs(ms: number): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid]!.createdMs < ms) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The newest entry strictly below `before` (all entries when absent). */
  private below(before: RunKey | undefined): RunIndexEntry | undefined {
    if (!before) return this.sorted[this.sorted.length - 1];
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = this.sorted[mid]!;
      if (compareKey(e.createdMs, e.id, before.ms, before.id) < 0) lo = mid + 1;
      else hi = mid;
    }
    return this.sorted[lo - 1];
  }

  /**
   * Walks entries newest first, strictly below `before` when given. Each step
   * seeks by key, so runs finishing (and being inserted) while a caller walks
   * neither repeat nor shift entries.
   */
  *descending(before?: RunKey): Generator<RunIndexEntry> {
    for (let e = this.below(before); e; e = this.below({ ms: e.createdMs, id: e.id })) yield e;
  }

  count(filter: RunFilter, skip?: SkipPointer): number {
    let n = 0;
    const end = filter.toMs === Infinity ? this.sorted.length : this.lowerBoundMs(filter.toMs);
    for (let i = this.lowerBoundMs(filter.fromMs); i < end; i++) {
      const e = this.sorted[i]!;
      if (matchesFields(e, filter) && !skip?.(e.pointer)) n++;
    }
    return n;
  }

  /** Adds this index's runs created, and failed, in each hour from `startMs` to `out`. */
  addHourly(startMs: number, out: HourlyCounts, skip?: SkipPointer): void {
    for (let i = this.lowerBoundMs(startMs); i < this.sorted.length; i++) {
      const e = this.sorted[i]!;
      const h = hourOf(e.createdMs, startMs, out.created.length);
      if (h >= 0 && !skip?.(e.pointer)) out.created[h]!++;
    }
    let lo = 0;
    let hi = this.failures.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.failures[mid]!.at < startMs) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.failures.length; i++) {
      const f = this.failures[i]!;
      const h = hourOf(f.at, startMs, out.failed.length);
      if (h >= 0 && !skip?.(this.byId.get(f.id)!.pointer)) out.failed[h]!++;
    }
  }
}
