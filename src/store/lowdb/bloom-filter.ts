/** Bits per key: with 11 probes, about one false positive in 2,000 lookups. */
export const BLOOM_BITS_PER_KEY = 16;
const PROBES = 11;

/** The two 32-bit hashes a key's probes derive from (computed once, usable against any filter). */
export interface KeyHash {
  h1: number;
  h2: number;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over UTF-16 code units with two seeds, each finished with murmur's mix: cheap and well spread. */
export function hashKey(key: string): KeyHash {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193);
  }
  // An odd step visits distinct bits for every probe.
  return { h1: fmix(a), h2: fmix(b) | 1 };
}

/**
 * A Bloom filter over strings (run ids and issue ids of one history file), so
 * a lookup skips every file that cannot hold the key without reading it.
 */
export class BloomFilter {
  private constructor(readonly bits: Uint8Array) {}

  static forKeys(keys: number): BloomFilter {
    const bytes = Math.max(8, Math.ceil((Math.max(keys, 1) * BLOOM_BITS_PER_KEY) / 8));
    return new BloomFilter(new Uint8Array(bytes));
  }

  static fromBytes(bytes: Uint8Array): BloomFilter {
    return new BloomFilter(bytes);
  }

  add(key: string | KeyHash): void {
    const { h1, h2 } = typeof key === 'string' ? hashKey(key) : key;
    const m = this.bits.length * 8;
    for (let i = 0; i < PROBES; i++) {
      const bit = ((h1 + Math.imul(i, h2)) >>> 0) % m;
      this.bits[bit >>> 3]! |= 1 << (bit & 7);
    }
  }

  has(key: string | KeyHash): boolean {
    const { h1, h2 } = typeof key === 'string' ? hashKey(key) : key;
    const m = this.bits.length * 8;
    for (let i = 0; i < PROBES; i++) {
      const bit = ((h1 + Math.imul(i, h2)) >>> 0) % m;
      if ((this.bits[bit >>> 3]! & (1 << (bit & 7))) === 0) return false;
    }
    return true;
  }
}

/** Ids and issue ids share one filter per file; a prefix keeps the two kinds apart. */
export const runIdKey = (id: string) => `r:${id}`;
export const issueIdKey = (issueId: string) => `i:${issueId}`;
