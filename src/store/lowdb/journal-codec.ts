import { crc32 } from 'node:zlib';
import type { DeliveryMeta, JournalRecord, PayloadPointer } from '../core/inbox-journal-port.js';

const NEWLINE = 0x0a;
const NEWLINE_BYTE = Buffer.from([NEWLINE]);
/** `xxxxxxxx ` — the CRC-32 in hex and a space. */
const CRC_PREFIX = 9;

interface EncodedHeader {
  /** put: the delivery; drop: the id. */
  d?: DeliveryMeta;
  id?: string;
  /** Payload length in bytes, when the record carries one. */
  n?: number;
}

/**
 * One record on disk: `<crc32 hex> <json>\n`, then for a payload its raw bytes
 * and `\n`. The CRC covers the JSON and the payload, so a record cut short or
 * left half-written by a crash is recognised and nothing after it is trusted.
 * The newlines keep the file readable with `less`.
 */
export function encodeRecords(records: readonly JournalRecord[], file: number, startOffset: number): { chunks: Buffer[]; bytes: number; pointers: (PayloadPointer | undefined)[] } {
  const chunks: Buffer[] = [];
  const pointers: (PayloadPointer | undefined)[] = [];
  let offset = startOffset;
  for (const record of records) {
    const payload = record.kind === 'put' ? record.payload : undefined;
    const header: EncodedHeader = record.kind === 'put' ? { d: record.delivery, ...(payload ? { n: payload.length } : {}) } : { id: record.id };
    const json = Buffer.from(JSON.stringify(header), 'utf8');
    const crc = payload ? crc32(payload, crc32(json)) : crc32(json);
    const line = Buffer.concat([Buffer.from(`${crc.toString(16).padStart(8, '0')} `, 'latin1'), json, NEWLINE_BYTE]);
    chunks.push(line);
    offset += line.length;
    if (payload) {
      pointers.push({ file, offset, length: payload.length });
      chunks.push(payload, NEWLINE_BYTE);
      offset += payload.length + 1;
    } else pointers.push(undefined);
  }
  return { chunks, bytes: offset - startOffset, pointers };
}

export interface DecodedRecord {
  record: JournalRecord;
  pointer: PayloadPointer | undefined;
}

/**
 * Reads records from the start of `bytes` until the end or the first record
 * that is incomplete or fails its CRC; `end` is where the intact records stop.
 * Payloads are not copied: `record.payload` is left out, the pointer says where it is.
 */
export function decodeRecords(bytes: Buffer, file: number): { records: DecodedRecord[]; end: number } {
  const records: DecodedRecord[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const decoded = decodeOne(bytes, pos, file);
    if (!decoded) break;
    records.push(decoded.value);
    pos = decoded.next;
  }
  return { records, end: pos };
}

function decodeOne(bytes: Buffer, pos: number, file: number): { value: DecodedRecord; next: number } | undefined {
  const nl = bytes.indexOf(NEWLINE, pos + CRC_PREFIX);
  if (nl < 0 || bytes[pos + CRC_PREFIX - 1] !== 0x20) return undefined;
  const expected = Number.parseInt(bytes.toString('latin1', pos, pos + CRC_PREFIX - 1), 16);
  const json = bytes.subarray(pos + CRC_PREFIX, nl);
  let header: EncodedHeader;
  try {
    header = JSON.parse(json.toString('utf8')) as EncodedHeader;
  } catch {
    return undefined; // a torn or zero-filled tail: where the intact records stop
  }
  const n = header.n;
  let next = nl + 1;
  let crc = crc32(json);
  let pointer: PayloadPointer | undefined;
  if (typeof n === 'number') {
    if (nl + 1 + n >= bytes.length || bytes[nl + 1 + n] !== NEWLINE) return undefined;
    crc = crc32(bytes.subarray(nl + 1, nl + 1 + n), crc);
    pointer = { file, offset: nl + 1, length: n };
    next = nl + 2 + n;
  }
  if (crc !== expected) return undefined;
  if (header.d && typeof header.d.id === 'string') return { value: { record: { kind: 'put', delivery: header.d }, pointer }, next };
  if (typeof header.id === 'string') return { value: { record: { kind: 'drop', id: header.id }, pointer: undefined }, next };
  return undefined;
}
