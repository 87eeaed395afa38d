import type { StoreRecord } from '../store-records.js';
import type { RunRepo } from '../store.js';
import { clone } from './codec.js';
import type { AppendLogStream, LogCatalog } from './log-catalog.js';
import type { StoreContext } from './store-context.js';

const PAGE = 500;

/** A log's entries in append order, read back from history a page at a time. */
async function* logEntries(ctx: StoreContext, catalog: LogCatalog, stream: AppendLogStream): AsyncGenerator<{ seq: number; record: unknown }> {
  const size = catalog.size;
  for (let from = 0; from < size; from += PAGE) {
    // The catalog walks newest first: take the page's entries from its top down, then put them in order.
    const page: { seq: number; pointer: { file: number; offset: number; length: number } }[] = [];
    for await (const { seq, entry } of catalog.descending(Math.min(from + PAGE, size) - 1, [undefined, undefined])) {
      if (seq < from) break;
      page.push({ seq, pointer: entry.pointer });
    }
    page.reverse();
    const records = await ctx.history.read(stream, page.map((p) => p.pointer));
    for (let i = 0; i < page.length; i++) yield { seq: page[i]!.seq, record: records[i] };
  }
}

/**
 * Every record of an open engine store, for a move to another store. Runs
 * come through the public listing (the hot copy of a run wins over a history
 * copy there), a page at a time; the rest from the hot document, the inbox
 * and the log indexes. Memory stays O(page), not O(history).
 */
export async function* exportRecords(ctx: StoreContext, runs: RunRepo): AsyncGenerator<StoreRecord> {
  const doc = clone(ctx.doc());
  for (const mapping of Object.values(doc.mappings)) yield { kind: 'mapping', mapping };
  for (const [key, value] of Object.entries(doc.settings)) yield { kind: 'setting', key, value };
  for (const secret of Object.values(doc.secrets ?? {})) yield { kind: 'secret', secret };
  for (const schedule of Object.values(doc.schedules ?? {})) yield { kind: 'schedule', schedule };
  for (const session of Object.values(doc.adminSessions)) yield { kind: 'admin-session', session };
  for (const entry of Object.values(doc.dedup)) yield { kind: 'dedup', entry };
  for (const [key, { runId, expiresAt }] of Object.entries(doc.claimKeys)) yield { kind: 'claim-key', key, runId, expiresAtMs: expiresAt };
  for (const [key, expiresAtMs] of Object.entries(doc.tokens)) yield { kind: 'one-time-key', key, expiresAtMs };
  for (const d of ctx.inbox.snapshot()) {
    const { payloadRef, ...delivery } = d;
    const payload = delivery.status === 'completed' ? undefined : await ctx.inbox.readPayload(d.id, payloadRef);
    yield payload ? { kind: 'delivery', delivery, payload } : { kind: 'delivery', delivery };
  }
  let cursor: string | undefined;
  do {
    const page = await runs.listRuns({ limit: PAGE, ...(cursor ? { cursor } : {}) });
    for (const run of page.items) yield { kind: 'run', run, steps: await runs.listSteps(run.id) };
    cursor = page.nextCursor;
  } while (cursor);
  for await (const { seq, record } of logEntries(ctx, ctx.auditLog, 'audit')) yield { kind: 'audit', seq, event: record as never };
  for await (const { seq, record } of logEntries(ctx, ctx.reaperLog, 'reaper')) yield { kind: 'reaper', seq, action: record as never };
}
