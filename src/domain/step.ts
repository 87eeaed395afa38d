export type StepStatus = 'running' | 'passed' | 'failed' | 'skipped' | 'cancelled';

/** One pipeline step of a run, upserted by (runId, id) as progress arrives. */
export interface RunStep {
  runId: string;
  id: string;
  type: string;
  status: StepStatus;
  parentId?: string;
  startedAt?: string;
  finishedAt?: string;
  output?: unknown;
  logExcerpt?: string;
  updatedAt: string;
}

/** Log excerpts are for a glance in the panel; the full log stays with the backend. */
export const LOG_EXCERPT_MAX_BYTES = 8 * 1024;

/**
 * Keeps the tail of a log within `maxBytes` of UTF-8, because the end of a log
 * is where the failure is. A multi-byte character cut in half is dropped.
 */
export function capLogExcerpt(text: string, maxBytes = LOG_EXCERPT_MAX_BYTES): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let start = bytes.length - maxBytes;
  // Skip UTF-8 continuation bytes (10xxxxxx) so we start on a character boundary.
  while (start < bytes.length && ((bytes[start] ?? 0) & 0xc0) === 0x80) start++;
  return bytes.subarray(start).toString('utf8');
}
