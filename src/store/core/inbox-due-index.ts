import { toIso } from './codec.js';
import type { DeliveryMeta } from './inbox-journal-port.js';

const CANONICAL_ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * Lease order: oldest first, then by id. Canonical ISO times (what routes
 * record) compare as strings; anything else is made canonical once, here.
 */
export function leaseOrderKey(d: Pick<DeliveryMeta, 'id' | 'receivedAt'>): string {
  const at = CANONICAL_ISO.test(d.receivedAt) ? d.receivedAt : toIso(Date.parse(d.receivedAt));
  return `${at} ${d.id}`;
}

/** First position in `sorted` whose key is not below `key`. */
function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

interface Timed {
  key: string;
  dueMs: number;
  leased: boolean;
}

/**
 * The unsettled deliveries of the inbox, kept in lease order so that a lease
 * costs O(limit + waiting) however long the backlog is. A pending delivery
 * with no retry time is always due: those sit in one sorted list (arrivals
 * append at its end). Deliveries that wait for a time — a retry back-off, or
 * a lease that may expire — are few and are scanned.
 */
export class DueIndex {
  private readonly ready: string[] = [];
  private readonly readyKey = new Map<string, string>();
  private readonly timed = new Map<string, Timed>();
  private leased = 0;

  clear(): void {
    this.ready.length = 0;
    this.readyKey.clear();
    this.timed.clear();
    this.leased = 0;
  }

  get size(): number {
    return this.readyKey.size + this.timed.size;
  }

  counts(): { pending: number; leased: number } {
    return { pending: this.size - this.leased, leased: this.leased };
  }

  /** Files the delivery where its state puts it; `undefined` (gone) or settled takes it out. */
  set(id: string, d: DeliveryMeta | undefined): void {
    this.remove(id);
    if (!d) return;
    if (d.status === 'pending' && d.retryAt === undefined) {
      const key = leaseOrderKey(d);
      const last = this.ready[this.ready.length - 1];
      if (last === undefined || last < key) this.ready.push(key);
      else this.ready.splice(lowerBound(this.ready, key), 0, key);
      this.readyKey.set(id, key);
      return;
    }
    if (d.status !== 'pending' && d.status !== 'leased') return;
    const waitsUntil = d.status === 'pending' ? d.retryAt : d.leaseUntil;
    // A leased delivery without an expiry never comes due again by itself (only a crash could leave one).
    const dueMs = waitsUntil === undefined ? Number.POSITIVE_INFINITY : Date.parse(waitsUntil);
    this.timed.set(id, { key: leaseOrderKey(d), dueMs, leased: d.status === 'leased' });
    if (d.status === 'leased') this.leased += 1;
  }

  /** Ids of the `limit` oldest deliveries due at `now`, in lease order. */
  due(limit: number, now: number): string[] {
    const waited: string[] = [];
    for (const entry of this.timed.values()) if (entry.dueMs <= now) waited.push(entry.key);
    waited.sort();
    const out: string[] = [];
    let r = 0;
    let w = 0;
    while (out.length < limit && (r < this.ready.length || w < waited.length)) {
      const fromReady = w >= waited.length || (r < this.ready.length && this.ready[r]! < waited[w]!);
      out.push(fromReady ? this.ready[r++]! : waited[w++]!);
    }
    return out.map((key) => key.slice(key.indexOf(' ') + 1));
  }

  private remove(id: string): void {
    const key = this.readyKey.get(id);
    if (key !== undefined) {
      this.readyKey.delete(id);
      const at = lowerBound(this.ready, key);
      // Leases take from the front, so this is usually a shift.
      if (at === 0) this.ready.shift();
      else this.ready.splice(at, 1);
      return;
    }
    const timed = this.timed.get(id);
    if (!timed) return;
    this.timed.delete(id);
    if (timed.leased) this.leased -= 1;
  }
}
