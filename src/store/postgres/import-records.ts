import { ConfigError } from '../../errors/index.js';
import { toIso, toMs } from '../core/codec.js';
import { emptyCounts, importInBatches, type RecordCounts } from '../core/import-records.js';
import type { StoreRecord, StoreRecordKind } from '../store-records.js';
import { jsonParam, timeParam } from './pg-context.js';
import type { Db, Sql } from './pg-db.js';
import { RUN_COLUMNS, RUN_PLACEHOLDERS, runValues } from './pg-run-rows.js';


const TABLE: Record<StoreRecordKind | 'step', string> = {
  mapping: 'mappings',
  run: 'runs',
  step: 'run_steps',
  'claim-key': 'claim_keys',
  dedup: 'dedup',
  delivery: 'inbox',
  'one-time-key': 'one_time_keys',
  setting: 'settings',
  'admin-session': 'admin_sessions',
  secret: 'secrets',
  schedule: 'schedules',
  audit: 'audit_events',
  reaper: 'reaper_actions',
};

const BATCH = 500;

export async function countRows(db: Db): Promise<RecordCounts> {
  const counts = emptyCounts();
  for (const [kind, table] of Object.entries(TABLE) as [StoreRecordKind | 'step', string][]) {
    const found = await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
    counts[kind] = Number(found.rows[0]?.n ?? 0);
  }
  return counts;
}

async function insert(tx: Sql, record: StoreRecord): Promise<void> {
  switch (record.kind) {
    case 'mapping':
      await tx.query('INSERT INTO mappings (team_key, mapping) VALUES ($1, $2)', [record.mapping.teamKey, jsonParam(record.mapping)]);
      return;
    case 'run':
      await tx.query(`INSERT INTO runs (${RUN_COLUMNS}) VALUES (${RUN_PLACEHOLDERS})`, runValues(record.run));
      // In order: the serial column keeps the steps' order.
      for (const step of record.steps) await tx.query('INSERT INTO run_steps (run_id, step_id, step) VALUES ($1, $2, $3)', [record.run.id, step.id, jsonParam(step)]);
      return;
    case 'claim-key':
      await tx.query('INSERT INTO claim_keys (key, run_id, expires_at) VALUES ($1, $2, $3)', [record.key, record.runId, toIso(record.expiresAtMs)]);
      return;
    case 'dedup':
      await tx.query('INSERT INTO dedup (issue_id, expires_at, entry) VALUES ($1, $2, $3)', [
        record.entry.issueId,
        toIso(toMs(record.entry.expiresAt, 'expiresAt')),
        jsonParam(record.entry),
      ]);
      return;
    case 'delivery': {
      const d = record.delivery;
      const at = (value: string | undefined) => (value === undefined ? null : toIso(toMs(value, 'delivery time')));
      await tx.query(
        `INSERT INTO inbox (id, source, event, received_at, status, attempts, lease_until, retry_at, completed_at, last_error, payload)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [d.id, d.source, d.event, at(d.receivedAt), d.status, d.attempts, at(d.leaseUntil), at(d.retryAt), at(d.completedAt), d.lastError ?? null, record.payload ?? null],
      );
      return;
    }
    case 'one-time-key':
      await tx.query('INSERT INTO one_time_keys (key, expires_at) VALUES ($1, $2)', [record.key, toIso(record.expiresAtMs)]);
      return;
    case 'setting':
      await tx.query('INSERT INTO settings (key, value) VALUES ($1, $2)', [record.key, jsonParam(record.value)]);
      return;
    case 'admin-session': {
      const s = record.session;
      await tx.query('INSERT INTO admin_sessions (id, token_hash, code_fingerprint, expires_at, session) VALUES ($1, $2, $3, $4, $5)', [
        s.id,
        s.tokenHash,
        s.codeFingerprint,
        toIso(toMs(s.expiresAt, 'expiresAt')),
        jsonParam(s),
      ]);
      return;
    }
    case 'secret':
      await tx.query('INSERT INTO secrets (id, key_id, secret) VALUES ($1, $2, $3)', [record.secret.id, record.secret.keyId, jsonParam(record.secret)]);
      return;
    case 'schedule':
      await tx.query('INSERT INTO schedules (id, next_run_at, created_at, schedule) VALUES ($1, $2, $3, $4)', [
        record.schedule.id,
        timeParam(record.schedule.nextRunAt),
        timeParam(record.schedule.createdAt),
        jsonParam(record.schedule),
      ]);
      return;
    case 'audit': {
      const e = record.event;
      await tx.query('INSERT INTO audit_events (seq, at, actor, action, event) VALUES ($1, $2, $3, $4, $5)', [record.seq + 1, toIso(toMs(e.at, 'at')), e.actor, e.action, jsonParam(e)]);
      return;
    }
    case 'reaper': {
      const a = record.action;
      await tx.query('INSERT INTO reaper_actions (seq, at, rule, mode, action) VALUES ($1, $2, $3, $4, $5)', [record.seq + 1, toIso(toMs(a.at, 'at')), a.rule, a.mode, jsonParam(a)]);
      return;
    }
  }
}

/**
 * Writes records from another store into an empty schema, `BATCH` records a
 * transaction. Refuses a schema that holds anything: merging two ledgers
 * could break the one-live-run rule, and a half-done import is started over
 * on a fresh schema rather than patched. Resolves with what it wrote.
 */
export async function importRecords(db: Db, records: AsyncIterable<StoreRecord>): Promise<RecordCounts> {
  const before = await countRows(db);
  const held = Object.entries(before).filter(([, n]) => n > 0);
  if (held.length > 0) {
    throw new ConfigError(`the PostgreSQL schema already holds data (${held.map(([k, n]) => `${n} ${k}`).join(', ')}); import into an empty database`);
  }
  const written = await importInBatches(records, async (batch) => {
    await db.transaction(async (tx) => {
      for (const record of batch) await insert(tx, record);
    }, 1);
  });
  // Appends after the import continue the numbering.
  for (const table of ['audit_events', 'reaper_actions']) {
    await db.query(`SELECT setval(pg_get_serial_sequence('${table}', 'seq'), coalesce(max(seq), 0) + 1, false) FROM ${table}`);
  }
  return written;
}
