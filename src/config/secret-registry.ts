import { REDACTED, redactSecretPatterns } from '../domain/secret-patterns.js';

/** How a caller that hands out or mints a secret tells the redactor about it. */
export type RegisterSecret = (value: string | undefined, options?: RegisterOptions) => void;

export interface RegisterOptions {
  /**
   * When the value stops being worth anything (a minted token's expiry, epoch
   * ms or ISO time). It is forgotten a grace period later. Values without one
   * (configuration, secrets set by an operator) are kept for the process's life.
   */
  expiresAt?: number | string;
}

/** What the output layers need of the registry: scrub text, or every string inside a JSON-like value. */
export interface Redaction {
  redact(text: string): string;
  redactValue<T>(value: T): T;
}

export interface SecretRegistryOptions {
  clock?: () => number;
  /**
   * Most minted values kept at once (default 10,000); past it the oldest go
   * first. Minted tokens arrive with traffic (two run tokens per attempt, an
   * installation token per repository and hour), so without a cap the
   * registry would grow with the process's uptime.
   */
  maxExpiring?: number;
  /** How long an expired value is still scrubbed (default 1 h): a late log line may quote it. */
  graceMs?: number;
}

/** Values shorter than this are too common to scrub safely; it is also the length of the lookup key. */
const MIN_LENGTH = 6;
const SWEEP_EVERY_MS = 60_000;

/**
 * Holds every secret value the process knows so that logs, records, API
 * answers, pages and text posted to tickets or pull requests can be scrubbed
 * of them, and applies the shape patterns (`domain/secret-patterns.ts`) for
 * credentials nobody registered. One registry per process, created by the
 * composition root and passed along — never a module-level singleton.
 *
 * Lookup is by each value's last six characters, so redaction costs one map
 * probe per character of text however many values are registered (one big
 * alternation regex would be rebuilt on every new token and tried at every
 * position). Minted tokens share long prefixes (a JWT header), rarely an end.
 */
export class SecretRegistry implements Redaction {
  /** value → forget-after time (epoch ms); Infinity for values kept for good. */
  private readonly values = new Map<string, number>();
  /** Insertion-ordered, so the oldest minted value is the first key. */
  private readonly expiring = new Map<string, number>();
  /** Last six characters → the values ending with them. */
  private readonly byEnd = new Map<string, string[]>();
  /** How many values end with each pair of (low bytes of) characters: most positions are ruled out without a slice. */
  private readonly endPairs = new Uint32Array(65_536);
  private readonly clock: () => number;
  private readonly maxExpiring: number;
  private readonly graceMs: number;
  private nextSweepAt = 0;

  constructor(options: SecretRegistryOptions = {}) {
    this.clock = options.clock ?? Date.now;
    this.maxExpiring = options.maxExpiring ?? 10_000;
    this.graceMs = options.graceMs ?? 60 * 60_000;
  }

  /** Registers a secret; values shorter than 6 characters are too common to scrub safely. */
  readonly register: RegisterSecret = (value, options = {}) => {
    if (!value || value.length < MIN_LENGTH) return;
    const expiresAt = options.expiresAt === undefined ? Infinity : this.toMs(options.expiresAt) + this.graceMs;
    this.add(value, expiresAt);
    // A PEM key also appears in logs line by line; register its body lines.
    if (value.includes('-----BEGIN')) {
      for (const line of value.split(/\r?\n/)) {
        const body = line.trim();
        if (body.length >= 16 && !body.startsWith('-----')) this.add(body, expiresAt);
      }
    }
    this.sweep();
  };

  /** How many values are registered (kept and minted). */
  get size(): number {
    return this.values.size;
  }

  /** Whether a value is registered right now (exactly, not by pattern). */
  has(value: string): boolean {
    return this.values.has(value);
  }

  /** Replaces every registered secret and every credential-shaped string in `text` with `[REDACTED]`. */
  redact(text: string): string {
    this.sweep();
    return this.redactText(text);
  }

  /** Deep-redacts strings inside a JSON-like value (for API answers, view-models and posted text). */
  redactValue<T>(value: T): T {
    this.sweep();
    return this.redactDeep(value);
  }

  private redactText(text: string): string {
    // Nothing registered or recognisable is this short; API answers and view-models are mostly such strings.
    if (text.length < MIN_LENGTH) return text;
    return redactSecretPatterns(this.values.size === 0 ? text : this.redactRegistered(text));
  }

  private redactDeep<T>(value: T): T {
    if (typeof value === 'string') return this.redactText(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.redactDeep(v)) as T;
    if (value && typeof value === 'object' && !(value instanceof Date)) {
      const out: Record<string, unknown> = {};
      for (const key in value) if (Object.hasOwn(value, key)) out[key] = this.redactDeep(value[key]);
      return out as T;
    }
    return value;
  }

  private add(value: string, forgetAt: number): void {
    const known = this.values.get(value);
    // A value kept for good stays so; a re-minted one keeps the later expiry.
    if (known !== undefined && known >= forgetAt) return;
    if (known === undefined) {
      this.countEnd(value, 1);
      const key = value.slice(-MIN_LENGTH);
      const bucket = this.byEnd.get(key);
      if (bucket) {
        bucket.push(value);
        // Longest first, so a value that ends another is never matched instead of it.
        bucket.sort((a, b) => b.length - a.length);
      } else this.byEnd.set(key, [value]);
    }
    this.values.set(value, forgetAt);
    this.expiring.delete(value);
    if (forgetAt !== Infinity) {
      this.expiring.set(value, forgetAt);
      if (this.expiring.size > this.maxExpiring) {
        const oldest = this.expiring.keys().next().value;
        if (oldest !== undefined) this.forget(oldest);
      }
    }
  }

  private countEnd(value: string, by: 1 | -1): void {
    const pair = endPair(value, value.length);
    this.endPairs[pair] = (this.endPairs[pair] ?? 0) + by;
  }

  private forget(value: string): void {
    if (!this.values.has(value)) return;
    this.countEnd(value, -1);
    this.values.delete(value);
    this.expiring.delete(value);
    const key = value.slice(-MIN_LENGTH);
    const bucket = this.byEnd.get(key)?.filter((v) => v !== value);
    if (bucket && bucket.length > 0) this.byEnd.set(key, bucket);
    else this.byEnd.delete(key);
  }

  private toMs(time: number | string): number {
    const ms = typeof time === 'number' ? time : Date.parse(time);
    // An unreadable expiry must not make a secret last forever or vanish at once: keep it a day.
    return Number.isFinite(ms) ? ms : this.clock() + 24 * 60 * 60_000;
  }

  /** Drops expired values, at most once a minute: the scan is over every minted value. */
  private sweep(): void {
    const now = this.clock();
    if (now < this.nextSweepAt) return;
    this.nextSweepAt = now + SWEEP_EVERY_MS;
    for (const [value, forgetAt] of this.expiring) if (forgetAt <= now) this.forget(value);
  }

  /** Finds every registered value by where it ends, then replaces the union of the matches. */
  private redactRegistered(text: string): string {
    const spans: [start: number, end: number][] = [];
    for (let end = MIN_LENGTH; end <= text.length; end++) {
      if (this.endPairs[endPair(text, end)] === 0) continue;
      const bucket = this.byEnd.get(text.slice(end - MIN_LENGTH, end));
      if (!bucket) continue;
      for (const value of bucket) {
        const start = end - value.length;
        if (start >= 0 && text.startsWith(value, start)) {
          spans.push([start, end]);
          break;
        }
      }
    }
    if (spans.length === 0) return text;
    spans.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
    let out = '';
    let at = 0;
    let open: [number, number] | undefined;
    for (const span of spans) {
      if (open && span[0] < open[1]) {
        open[1] = Math.max(open[1], span[1]);
        continue;
      }
      if (open) {
        out += text.slice(at, open[0]) + REDACTED;
        at = open[1];
      }
      open = [span[0], span[1]];
    }
    if (open) out += text.slice(at, open[0]) + REDACTED;
    return out + text.slice(open ? open[1] : at);
  }
}

/** The last two characters before `end`, as an index into a 64 Ki table. */
function endPair(text: string, end: number): number {
  return ((text.charCodeAt(end - 2) & 0xff) << 8) | (text.charCodeAt(end - 1) & 0xff);
}
