import type { AdminSession } from '../../domain/admin-session.js';
import type { AuditEvent } from '../../domain/audit-event.js';
import type { DedupEntry } from '../../domain/dedup-entry.js';
import type { Mapping } from '../../domain/mapping.js';
import type { ReaperAction } from '../../domain/reaper-action.js';
import type { Run } from '../../domain/run.js';
import type { Schedule } from '../../domain/schedule.js';
import type { SealedSecret } from '../../domain/sealed-secret.js';
import type { RunStep } from '../../domain/step.js';
import type { StoreRecord } from '../store-records.js';
import type { Db } from './pg-db.js';
import { deliveryMetaOf, type InboxRow } from './pg-inbox.js';

const PAGE = 500;

/** Rows of one table in key order, a page at a time (keyset paging: memory stays O(page)). */
async function* pages<R extends object>(db: Db, select: string, keyColumn: string, keyOf: (row: R) => string | number): AsyncGenerator<R> {
  let after: string | number | undefined;
  for (;;) {
    const where = after === undefined ? '' : `WHERE ${keyColumn} > $2`;
    const { rows } = await db.query<R>(`${select} ${where} ORDER BY ${keyColumn} LIMIT $1`, after === undefined ? [PAGE] : [PAGE, after]);
    yield* rows;
    if (rows.length < PAGE) return;
    after = keyOf(rows[rows.length - 1]!);
  }
}

/**
 * Every record of a PostgreSQL store, for a move back to the embedded store
 * (a single-node downgrade): the reverse of `importRecords`. Audit and reaper
 * entries come in append order with their position from 0, as the embedded
 * store numbers them.
 */
export async function* exportRecords(db: Db): AsyncGenerator<StoreRecord> {
  for await (const row of pages<{ team_key: string; mapping: Mapping }>(db, 'SELECT team_key, mapping FROM mappings', 'team_key', (r) => r.team_key)) yield { kind: 'mapping', mapping: row.mapping };
  for await (const row of pages<{ key: string; value: unknown }>(db, 'SELECT key, value FROM settings', 'key', (r) => r.key)) yield { kind: 'setting', key: row.key, value: row.value };
  for await (const row of pages<{ id: string; secret: SealedSecret }>(db, 'SELECT id, secret FROM secrets', 'id', (r) => r.id)) yield { kind: 'secret', secret: row.secret };
  for await (const row of pages<{ id: string; schedule: Schedule }>(db, 'SELECT id, schedule FROM schedules', 'id', (r) => r.id)) yield { kind: 'schedule', schedule: row.schedule };
  for await (const row of pages<{ id: string; session: AdminSession }>(db, 'SELECT id, session FROM admin_sessions', 'id', (r) => r.id)) yield { kind: 'admin-session', session: row.session };
  for await (const row of pages<{ issue_id: string; entry: DedupEntry }>(db, 'SELECT issue_id, entry FROM dedup', 'issue_id', (r) => r.issue_id)) yield { kind: 'dedup', entry: row.entry };
  for await (const row of pages<{ key: string; run_id: string; expires_at: Date }>(db, 'SELECT key, run_id, expires_at FROM claim_keys', 'key', (r) => r.key)) {
    yield { kind: 'claim-key', key: row.key, runId: row.run_id, expiresAtMs: row.expires_at.getTime() };
  }
  for await (const row of pages<{ key: string; expires_at: Date }>(db, 'SELECT key, expires_at FROM one_time_keys', 'key', (r) => r.key)) {
    yield { kind: 'one-time-key', key: row.key, expiresAtMs: row.expires_at.getTime() };
  }
  for await (const row of pages<InboxRow>(db, 'SELECT * FROM inbox', 'id', (r) => r.id)) {
    const delivery = deliveryMetaOf(row);
    yield row.payload && row.status !== 'completed' ? { kind: 'delivery', delivery, payload: row.payload } : { kind: 'delivery', delivery };
  }
  // Runs oldest first, as the embedded store's history holds them.
  let after: { created_at: Date; id: string } | undefined;
  for (;;) {
    const { rows } = after
      ? await db.query<{ id: string; created_at: Date; run: Run }>('SELECT id, created_at, run FROM runs WHERE (created_at, id) > ($2, $3) ORDER BY created_at, id LIMIT $1', [PAGE, after.created_at, after.id])
      : await db.query<{ id: string; created_at: Date; run: Run }>('SELECT id, created_at, run FROM runs ORDER BY created_at, id LIMIT $1', [PAGE]);
    for (const row of rows) {
      const steps = await db.query<{ step: RunStep }>('SELECT step FROM run_steps WHERE run_id = $1 ORDER BY seq', [row.id]);
      yield { kind: 'run', run: row.run, steps: steps.rows.map((r) => r.step) };
    }
    if (rows.length < PAGE) break;
    after = rows[rows.length - 1]!;
  }
  for await (const row of pages<{ seq: string; event: AuditEvent }>(db, 'SELECT seq, event FROM audit_events', 'seq', (r) => r.seq)) yield { kind: 'audit', seq: Number(row.seq) - 1, event: row.event };
  for await (const row of pages<{ seq: string; action: ReaperAction }>(db, 'SELECT seq, action FROM reaper_actions', 'seq', (r) => r.seq)) yield { kind: 'reaper', seq: Number(row.seq) - 1, action: row.action };
}
