import type { Run, RunBackend, RunStatus, TriggerSource } from '../../domain/run.js';
import type { HistoryPointer } from './hot-doc.js';

/** What is kept in memory per finished run: enough to filter, page and count. */
export interface RunIndexEntry {
  id: string;
  createdMs: number;
  finishedMs: number;
  status: RunStatus;
  mappingKey: string;
  backend: RunBackend;
  runnerMode: string;
  triggerSource: TriggerSource;
  issueId: string;
  pointer: HistoryPointer;
}

/** Sort key of the run listing: newest first by createdAt, id breaks ties. */
export function compareKey(aMs: number, aId: string, bMs: number, bId: string): number {
  if (aMs !== bMs) return aMs - bMs;
  return aId < bId ? -1 : aId > bId ? 1 : 0;
}

export function toIndexEntry(run: Run, pointer: HistoryPointer): RunIndexEntry {
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
    pointer,
  };
}

/**
 * In-memory index over finished runs in history, kept sorted by (createdAt,
 * id) so a page is a binary search plus a short walk, and with failure times
 * sorted separately so the 24 h failure buckets need no full scan.
 */
export class RunHistoryIndex {
  private readonly sorted: RunIndexEntry[] = [];
  private readonly byId = new Map<string, RunIndexEntry>();
  private readonly failures: { at: number; id: string }[] = [];

  get size(): number {
    return this.sorted.length;
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

  /** Walks entries newest first, strictly below `before` when given. */
  *descending(before?: { ms: number; id: string }): Generator<RunIndexEntry> {
    let i = before ? this.upperBound(before.ms, before.id) - 1 : this.sorted.length - 1;
    if (before && i >= 0) {
      const e = this.sorted[i]!;
      if (e.createdMs === before.ms && e.id === before.id) i--;
    }
    for (; i >= 0; i--) yield this.sorted[i]!;
  }

  /** Entries created at or after `sinceMs`, oldest first. */
  *createdSince(sinceMs: number): Generator<RunIndexEntry> {
    for (let i = this.lowerBoundMs(sinceMs); i < this.sorted.length; i++) yield this.sorted[i]!;
  }

  *failedSince(sinceMs: number): Generator<{ at: number; id: string }> {
    let lo = 0;
    let hi = this.failures.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.failures[mid]!.at < sinceMs) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.failures.length; i++) yield this.failures[i]!;
  }
}
