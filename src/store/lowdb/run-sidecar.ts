import type { RunBackend, RunStatus, TriggerSource } from '../../domain/run.js';
import type { RunFilter } from '../core/run-filter.js';
import { compareKey, type RunIndexEntry, type RunKey } from '../core/run-index.js';
import { BloomFilter, issueIdKey, runIdKey } from './bloom-filter.js';

/**
 * The index of one sealed history file (`index/NNNNNN.idx` beside
 * `NNNNNN.jsonl`): fixed-width records sorted by (createdAt, id), the id
 * strings they point into, a Bloom filter of run and issue ids, and a JSON
 * header (also kept in the manifest) with the dictionaries the records' codes
 * refer to and the counts per combination of filter fields.
 *
 *   "AIRIDX01" | records (56 B each) | strings | bloom | header JSON | u32 header length
 *
 * Record: createdMs f64, finishedMs f64, offset u32, length u32, idAt u32,
 * idLen u32, issueAt u32, issueLen u32, then u16 codes for status, mapping,
 * backend, runner mode, trigger, agent runtime and owner (the last two fill
 * what was padding before; a header without their dictionaries is from an
 * older build and `isCurrentHeader` says so, and the file is indexed again).
 */
export const SIDECAR_MAGIC = 'AIRIDX01';
const RECORDS_AT = 8;
const RECORD_BYTES = 56;

export interface SegmentDict {
  status: string[];
  mapping: string[];
  backend: string[];
  mode: string[];
  trigger: string[];
  runtime: string[];
  owner: string[];
}

/** What the manifest keeps per sealed history file; enough to skip, count and locate without the sidecar. */
export interface SegmentHeader {
  file: number;
  count: number;
  minCreatedMs: number;
  maxCreatedMs: number;
  maxFinishedMs: number;
  dict: SegmentDict;
  /** [status, mapping, backend, mode, trigger, runtime, owner, runs] code tuples: counts without reading any record. */
  groups: number[][];
  heapAt: number;
  bloomAt: number;
  bloomBytes: number;
  /** Entries of earlier files that records of this file replace. */
  replaces: RunIndexEntry[];
}

type DictField = keyof SegmentDict;
const FIELDS: readonly DictField[] = ['status', 'mapping', 'backend', 'mode', 'trigger', 'runtime', 'owner'];
const RUNS_AT = FIELDS.length;
const valueOf = (e: RunIndexEntry, f: DictField): string => {
  switch (f) {
    case 'status':
      return e.status;
    case 'mapping':
      return e.mappingKey;
    case 'backend':
      return e.backend;
    case 'mode':
      return e.runnerMode;
    case 'trigger':
      return e.triggerSource;
    case 'runtime':
      return e.runtime;
    case 'owner':
      return e.owner;
  }
};

/** False for a header written before runtime and owner were indexed: its file must be indexed again. */
export function isCurrentHeader(header: SegmentHeader): boolean {
  return Array.isArray(header.dict.runtime) && Array.isArray(header.dict.owner);
}

/** A filter's field values as this segment's codes; undefined when nothing in the segment can match. */
export interface SegmentCodes {
  status?: ReadonlySet<number>;
  mapping?: number;
  backend?: number;
  mode?: number;
  trigger?: number;
  runtime?: number;
  owner?: number;
}

export function codesFor(dict: SegmentDict, filter: RunFilter): SegmentCodes | undefined {
  const codes: SegmentCodes = {};
  if (filter.statuses) {
    const set = new Set<number>();
    for (const s of filter.statuses) if (dict.status.includes(s)) set.add(dict.status.indexOf(s));
    if (set.size === 0) return undefined;
    codes.status = set;
  }
  const single: [DictField, string | undefined][] = [
    ['mapping', filter.mappingKey],
    ['backend', filter.backend],
    ['mode', filter.runnerMode],
    ['trigger', filter.triggerSource],
    ['runtime', filter.runtime],
    ['owner', filter.owner],
  ];
  for (const [field, value] of single) {
    if (value === undefined) continue;
    const code = dict[field].indexOf(value);
    if (code < 0) return undefined;
    codes[field as Exclude<DictField, 'status'>] = code;
  }
  return codes;
}

/** `c` holds a record's codes in FIELDS order. */
export function codesMatch(codes: SegmentCodes, c: readonly number[]): boolean {
  return (
    (!codes.status || codes.status.has(c[0]!)) &&
    (codes.mapping === undefined || codes.mapping === c[1]) &&
    (codes.backend === undefined || codes.backend === c[2]) &&
    (codes.mode === undefined || codes.mode === c[3]) &&
    (codes.trigger === undefined || codes.trigger === c[4]) &&
    (codes.runtime === undefined || codes.runtime === c[5]) &&
    (codes.owner === undefined || codes.owner === c[6])
  );
}

/** Runs in the segment matching the field filters (no time range, no issue), from the header alone. */
export function groupCount(header: SegmentHeader, codes: SegmentCodes): number {
  let n = 0;
  for (const group of header.groups) if (codesMatch(codes, group)) n += group[RUNS_AT]!;
  return n;
}

/** Encodes the entries of one history file, oldest first by (createdAt, id), into its sidecar. */
export function encodeSidecar(file: number, sorted: readonly RunIndexEntry[], replaces: readonly RunIndexEntry[]): { bytes: Buffer; header: SegmentHeader; bloom: BloomFilter } {
  const dict: SegmentDict = { status: [], mapping: [], backend: [], mode: [], trigger: [], runtime: [], owner: [] };
  const codeOf = (f: DictField, v: string) => {
    let i = dict[f].indexOf(v);
    if (i < 0) i = dict[f].push(v) - 1;
    return i;
  };
  const ids = sorted.map((e) => Buffer.from(e.id, 'utf8'));
  const issues = sorted.map((e) => Buffer.from(e.issueId, 'utf8'));
  const heapBytes = ids.reduce((n, b) => n + b.length, 0) + issues.reduce((n, b) => n + b.length, 0);
  const distinctIssues = new Set(sorted.map((e) => e.issueId));
  const bloom = BloomFilter.forKeys(sorted.length + distinctIssues.size);
  const heapAt = RECORDS_AT + sorted.length * RECORD_BYTES;
  const bloomAt = heapAt + heapBytes;
  const body = Buffer.alloc(bloomAt + bloom.bits.length);
  body.write(SIDECAR_MAGIC, 0, 'latin1');
  const groups = new Map<string, number[]>();
  let heap = 0;
  let maxFinishedMs = 0;
  sorted.forEach((e, i) => {
    const at = RECORDS_AT + i * RECORD_BYTES;
    body.writeDoubleLE(e.createdMs, at);
    body.writeDoubleLE(e.finishedMs, at + 8);
    body.writeUInt32LE(e.pointer.offset, at + 16);
    body.writeUInt32LE(e.pointer.length, at + 20);
    body.writeUInt32LE(heap, at + 24);
    body.writeUInt32LE(ids[i]!.length, at + 28);
    ids[i]!.copy(body, heapAt + heap);
    heap += ids[i]!.length;
    body.writeUInt32LE(heap, at + 32);
    body.writeUInt32LE(issues[i]!.length, at + 36);
    issues[i]!.copy(body, heapAt + heap);
    heap += issues[i]!.length;
    const codes = FIELDS.map((f) => codeOf(f, valueOf(e, f)));
    codes.forEach((c, k) => body.writeUInt16LE(c, at + 40 + 2 * k));
    const key = codes.join(',');
    const group = groups.get(key) ?? [...codes, 0];
    group[RUNS_AT]!++;
    groups.set(key, group);
    bloom.add(runIdKey(e.id));
    bloom.add(issueIdKey(e.issueId));
    if (e.finishedMs > maxFinishedMs) maxFinishedMs = e.finishedMs;
  });
  Buffer.from(bloom.bits.buffer, bloom.bits.byteOffset, bloom.bits.length).copy(body, bloomAt);
  const header: SegmentHeader = {
    file,
    count: sorted.length,
    minCreatedMs: sorted[0]?.createdMs ?? 0,
    maxCreatedMs: sorted[sorted.length - 1]?.createdMs ?? 0,
    maxFinishedMs,
    dict,
    groups: [...groups.values()],
    heapAt,
    bloomAt,
    bloomBytes: bloom.bits.length,
    replaces: [...replaces],
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const trailer = Buffer.alloc(4);
  trailer.writeUInt32LE(json.length, 0);
  return { bytes: Buffer.concat([body, json, trailer]), header, bloom };
}

/** Read access to one sidecar held in memory. */
export class SidecarView {
  private constructor(
    readonly header: SegmentHeader,
    private readonly buf: Buffer,
  ) {}

  static parse(buf: Buffer, file: number): SidecarView {
    if (buf.length < 12 || buf.toString('latin1', 0, 8) !== SIDECAR_MAGIC) throw new Error(`history index of file ${file} is damaged (bad magic)`);
    const length = buf.readUInt32LE(buf.length - 4);
    const header = JSON.parse(buf.toString('utf8', buf.length - 4 - length, buf.length - 4)) as SegmentHeader;
    if (header.file !== file || header.heapAt !== RECORDS_AT + header.count * RECORD_BYTES) throw new Error(`history index of file ${file} is damaged (bad header)`);
    return new SidecarView(header, buf);
  }

  get count(): number {
    return this.header.count;
  }

  createdMs(i: number): number {
    return this.buf.readDoubleLE(RECORDS_AT + i * RECORD_BYTES);
  }

  finishedMs(i: number): number {
    return this.buf.readDoubleLE(RECORDS_AT + i * RECORD_BYTES + 8);
  }

  offset(i: number): number {
    return this.buf.readUInt32LE(RECORDS_AT + i * RECORD_BYTES + 16);
  }

  code(i: number, k: number): number {
    return this.buf.readUInt16LE(RECORDS_AT + i * RECORD_BYTES + 40 + 2 * k);
  }

  codes(i: number): number[] {
    return FIELDS.map((_, k) => this.code(i, k));
  }

  private text(i: number, at: number): string {
    const rec = RECORDS_AT + i * RECORD_BYTES + at;
    const start = this.header.heapAt + this.buf.readUInt32LE(rec);
    return this.buf.toString('utf8', start, start + this.buf.readUInt32LE(rec + 4));
  }

  id(i: number): string {
    return this.text(i, 24);
  }

  private sameText(i: number, at: number, target: Buffer): boolean {
    const rec = RECORDS_AT + i * RECORD_BYTES + at;
    if (this.buf.readUInt32LE(rec + 4) !== target.length) return false;
    const start = this.header.heapAt + this.buf.readUInt32LE(rec);
    return this.buf.compare(target, 0, target.length, start, start + target.length) === 0;
  }

  entry(i: number): RunIndexEntry {
    const rec = RECORDS_AT + i * RECORD_BYTES;
    const d = this.header.dict;
    return {
      id: this.id(i),
      createdMs: this.createdMs(i),
      finishedMs: this.finishedMs(i),
      status: d.status[this.code(i, 0)] as RunStatus,
      mappingKey: d.mapping[this.code(i, 1)]!,
      backend: d.backend[this.code(i, 2)] as RunBackend,
      runnerMode: d.mode[this.code(i, 3)]!,
      triggerSource: d.trigger[this.code(i, 4)] as TriggerSource,
      runtime: d.runtime[this.code(i, 5)] ?? '',
      owner: d.owner[this.code(i, 6)] ?? '',
      issueId: this.text(i, 32),
      pointer: { file: this.header.file, offset: this.buf.readUInt32LE(rec + 16), length: this.buf.readUInt32LE(rec + 20) },
    };
  }

  /** The newest record strictly below `before` (the newest of all when absent); -1 when none. */
  below(before: RunKey | undefined): number {
    if (!before) return this.count - 1;
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const ms = this.createdMs(mid);
      const less = ms !== before.ms ? ms < before.ms : compareKey(ms, this.id(mid), before.ms, before.id) < 0;
      if (less) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /** First record created at or after `ms`. */
  lowerBoundMs(ms: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.createdMs(mid) < ms) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  findId(id: string): number {
    const target = Buffer.from(id, 'utf8');
    for (let i = this.count - 1; i >= 0; i--) if (this.sameText(i, 24, target)) return i;
    return -1;
  }

  /** A test of a record against a filter's fields, by code; undefined when no record can match. */
  matcher(filter: RunFilter): ((i: number) => boolean) | undefined {
    const codes = codesFor(this.header.dict, filter);
    if (!codes) return undefined;
    const issue = filter.issueId === undefined ? undefined : Buffer.from(filter.issueId, 'utf8');
    return (i) => codesMatch(codes, this.codes(i)) && (!issue || this.sameText(i, 32, issue));
  }

  bloom(): BloomFilter {
    return BloomFilter.fromBytes(new Uint8Array(this.buf.buffer, this.buf.byteOffset + this.header.bloomAt, this.header.bloomBytes));
  }
}
