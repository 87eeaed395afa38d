import { ConfigError } from '../../errors/index.js';
import { STORE_RECORD_KINDS, type StoreRecord, type StoreRecordKind } from '../store-records.js';
import type { RunRepo } from '../store.js';
import { clone, toMs } from './codec.js';
import type { Tx } from './commit-queue.js';
import { retireTerminalRuns } from './runs-repo.js';
import type { StoreContext } from './store-context.js';

/** Records per kind (and run steps) a store holds, as `migrate-store` compares them. */
export type RecordCounts = Record<StoreRecordKind | 'step', number>;

export function emptyCounts(): RecordCounts {
  return Object.fromEntries([...STORE_RECORD_KINDS, 'step'].map((k) => [k, 0])) as RecordCounts;
}

/** Tallies records as they pass, for the check by counts. */
export function countInto(counts: RecordCounts, record: StoreRecord): void {
  counts[record.kind]++;
  if (record.kind === 'run') counts.step += record.steps.length;
}

const BATCH = 500;

/** Hands records to `write` 500 at a time, and counts what it wrote. */
export async function importInBatches(records: AsyncIterable<StoreRecord>, write: (batch: StoreRecord[]) => Promise<void>): Promise<RecordCounts> {
  const written = emptyCounts();
  let batch: StoreRecord[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const taken = batch;
    batch = [];
    await write(taken);
    for (const record of taken) countInto(written, record);
  };
  for await (const record of records) {
    batch.push(record);
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  return written;
}

function apply(ctx: StoreContext, tx: Tx, record: StoreRecord): void {
  const doc = tx.doc;
  switch (record.kind) {
    case 'mapping':
      doc.mappings[record.mapping.teamKey] = clone(record.mapping);
      return;
    case 'run':
      doc.runs[record.run.id] = clone(record.run);
      if (record.steps.length > 0) doc.steps[record.run.id] = clone(record.steps);
      return;
    case 'claim-key':
      doc.claimKeys[record.key] = { runId: record.runId, expiresAt: record.expiresAtMs };
      return;
    case 'dedup':
      doc.dedup[record.entry.issueId] = clone(record.entry);
      return;
    case 'delivery':
      tx.inbox.put(clone(record.delivery), record.payload);
      return;
    case 'one-time-key':
      doc.tokens[record.key] = record.expiresAtMs;
      return;
    case 'setting':
      doc.settings[record.key] = clone(record.value);
      return;
    case 'admin-session':
      doc.adminSessions[record.session.id] = clone(record.session);
      return;
    case 'secret':
      (doc.secrets ??= {})[record.secret.id] = clone(record.secret);
      return;
    case 'schedule':
      (doc.schedules ??= {})[record.schedule.id] = clone(record.schedule);
      return;
    case 'audit': {
      const event = clone(record.event);
      const atMs = toMs(event.at, 'at');
      tx.appendHistory('audit', event, (pointer) => ctx.auditLog.add({ atMs, keys: [event.actor, event.action], pointer }));
      return;
    }
    case 'reaper': {
      const action = clone(record.action);
      const atMs = toMs(action.at, 'at');
      tx.appendHistory('reaper', action, (pointer) => ctx.reaperLog.add({ atMs, keys: [action.rule, action.mode], pointer }));
      return;
    }
  }
}

/** True when the store holds nothing at all: an import never merges two ledgers. */
async function heldKinds(ctx: StoreContext, runs: RunRepo): Promise<string[]> {
  const doc = ctx.doc();
  const held: [string, number][] = [
    ['mapping', Object.keys(doc.mappings).length],
    ['run', await runs.countRuns()],
    ['dedup', Object.keys(doc.dedup).length],
    ['claim-key', Object.keys(doc.claimKeys).length],
    ['one-time-key', Object.keys(doc.tokens).length],
    ['setting', Object.keys(doc.settings).length],
    ['admin-session', Object.keys(doc.adminSessions).length],
    ['secret', Object.keys(doc.secrets ?? {}).length],
    ['schedule', Object.keys(doc.schedules ?? {}).length],
    ['delivery', ctx.inbox.snapshot().length],
    ['audit', ctx.auditLog.size],
    ['reaper', ctx.reaperLog.size],
  ];
  return held.filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`);
}

/**
 * Writes another store's records into an empty engine store (`migrate-store
 * --to-lowdb`, the single-node downgrade), `BATCH` records a commit; finished
 * runs then move to history as they would have. Audit and reaper entries must
 * come in append order, as every exporter gives them. Resolves with what it
 * wrote.
 */
export async function importRecords(ctx: StoreContext, runs: RunRepo, records: AsyncIterable<StoreRecord>): Promise<RecordCounts> {
  const held = await heldKinds(ctx, runs);
  if (held.length > 0) throw new ConfigError(`the data directory already holds data (${held.join(', ')}); import into an empty one`);
  return importInBatches(records, async (batch) => {
    await ctx.queue.submit((tx) => {
      for (const record of batch) apply(ctx, tx, record);
    });
    // Finished runs leave the hot document for history, as their last update would have moved them.
    if (batch.some((r) => r.kind === 'run')) await retireTerminalRuns(ctx);
  });
}
