import type { LogEntry, LogKeyFilter } from '../core/log-catalog.js';

/**
 * The index of one sealed audit or reaper history file: its entries in
 * append order, fixed width, and a JSON header (also in the manifest) with the
 * key dictionaries and the count per key pair.
 *
 *   "AILIDX01" | records (24 B: atMs f64, offset u32, length u32, key1 u16, key2 u16, 4 spare) | header JSON | u32 header length
 */
const MAGIC = 'AILIDX01';
const RECORDS_AT = 8;
const RECORD_BYTES = 24;

export interface LogSegmentHeader {
  file: number;
  count: number;
  minAtMs: number;
  maxAtMs: number;
  dict: [string[], string[]];
  /** [key 1 code, key 2 code, entries]. */
  groups: number[][];
}

export function encodeLogSidecar(file: number, entries: readonly LogEntry[]): { bytes: Buffer; header: LogSegmentHeader } {
  const dict: [string[], string[]] = [[], []];
  const codeOf = (k: 0 | 1, v: string) => {
    let i = dict[k].indexOf(v);
    if (i < 0) i = dict[k].push(v) - 1;
    return i;
  };
  const body = Buffer.alloc(RECORDS_AT + entries.length * RECORD_BYTES);
  body.write(MAGIC, 0, 'latin1');
  const groups = new Map<string, number[]>();
  let minAtMs = Infinity;
  let maxAtMs = -Infinity;
  entries.forEach((e, i) => {
    const at = RECORDS_AT + i * RECORD_BYTES;
    const c1 = codeOf(0, e.keys[0]);
    const c2 = codeOf(1, e.keys[1]);
    body.writeDoubleLE(e.atMs, at);
    body.writeUInt32LE(e.pointer.offset, at + 8);
    body.writeUInt32LE(e.pointer.length, at + 12);
    body.writeUInt16LE(c1, at + 16);
    body.writeUInt16LE(c2, at + 18);
    const group = groups.get(`${c1},${c2}`) ?? [c1, c2, 0];
    group[2]!++;
    groups.set(`${c1},${c2}`, group);
    if (e.atMs < minAtMs) minAtMs = e.atMs;
    if (e.atMs > maxAtMs) maxAtMs = e.atMs;
  });
  const header: LogSegmentHeader = {
    file,
    count: entries.length,
    minAtMs: Number.isFinite(minAtMs) ? minAtMs : 0,
    maxAtMs: Number.isFinite(maxAtMs) ? maxAtMs : 0,
    dict,
    groups: [...groups.values()],
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const trailer = Buffer.alloc(4);
  trailer.writeUInt32LE(json.length, 0);
  return { bytes: Buffer.concat([body, json, trailer]), header };
}

/** The codes of a key filter in one segment; undefined when nothing there can match. */
export function logCodesFor(header: LogSegmentHeader, filter: LogKeyFilter): [number, number] | undefined {
  const codes: [number, number] = [-1, -1];
  for (const k of [0, 1] as const) {
    const value = filter[k];
    if (value === undefined) continue;
    codes[k] = header.dict[k].indexOf(value);
    if (codes[k] < 0) return undefined;
  }
  return codes;
}

export class LogSidecarView {
  private constructor(
    readonly header: LogSegmentHeader,
    private readonly buf: Buffer,
  ) {}

  static parse(buf: Buffer, file: number): LogSidecarView {
    if (buf.length < 12 || buf.toString('latin1', 0, 8) !== MAGIC) throw new Error(`log index of file ${file} is damaged (bad magic)`);
    const length = buf.readUInt32LE(buf.length - 4);
    const header = JSON.parse(buf.toString('utf8', buf.length - 4 - length, buf.length - 4)) as LogSegmentHeader;
    if (header.file !== file || RECORDS_AT + header.count * RECORD_BYTES !== buf.length - 4 - length) throw new Error(`log index of file ${file} is damaged (bad header)`);
    return new LogSidecarView(header, buf);
  }

  atMs(i: number): number {
    return this.buf.readDoubleLE(RECORDS_AT + i * RECORD_BYTES);
  }

  matches(i: number, codes: readonly [number, number]): boolean {
    const at = RECORDS_AT + i * RECORD_BYTES;
    return (codes[0] < 0 || this.buf.readUInt16LE(at + 16) === codes[0]) && (codes[1] < 0 || this.buf.readUInt16LE(at + 18) === codes[1]);
  }

  entry(i: number): LogEntry {
    const at = RECORDS_AT + i * RECORD_BYTES;
    return {
      atMs: this.atMs(i),
      keys: [this.header.dict[0][this.buf.readUInt16LE(at + 16)]!, this.header.dict[1][this.buf.readUInt16LE(at + 18)]!],
      pointer: { file: this.header.file, offset: this.buf.readUInt32LE(at + 8), length: this.buf.readUInt32LE(at + 12) },
    };
  }
}
