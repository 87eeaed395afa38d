import { ConfigError } from '../../errors/index.js';
import { assertSchemaName } from './schema-name.js';
import { createPool } from './pg-pool.js';
import { Db } from './pg-db.js';
import { MIGRATIONS, type Migration } from './migrations.js';

/** First key of the advisory lock that serialises migrations (the second is the schema's hash). */
const MIGRATION_LOCK = 0x4149_4d50;

export interface MigrationReport {
  /** Versions applied by this call, in order. */
  applied: number[];
  /** The schema's version afterwards. */
  version: number;
}

/**
 * Brings `schema` up to the newest migration, in one transaction under a
 * transaction-level advisory lock: replicas starting together queue on the
 * lock, and the ones after the first find nothing left to do. A database
 * newer than this build is refused rather than used.
 */
export async function migrateSchema(db: Db, schema: string, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrationReport> {
  assertSchemaName(schema);
  const newest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [MIGRATION_LOCK, schema]);
    const exists = await tx.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    // Only when missing: CREATE SCHEMA IF NOT EXISTS still needs the CREATE privilege on the database.
    if (exists.rowCount === 0) await tx.query(`CREATE SCHEMA "${schema}"`);
    await tx.query(`SET LOCAL search_path TO "${schema}"`);
    await tx.query(`CREATE TABLE IF NOT EXISTS migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const done = new Set((await tx.query<{ version: number }>('SELECT version FROM migrations')).rows.map((r) => r.version));
    const current = Math.max(0, ...done);
    if (current > newest) {
      throw new ConfigError(`the PostgreSQL schema "${schema}" is at version ${current}, newer than this build knows (${newest}); run a build at least as new as the one that migrated it`);
    }
    const applied: number[] = [];
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(migration.version)) continue;
      await tx.query(migration.sql);
      await tx.query('INSERT INTO migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      applied.push(migration.version);
    }
    return { applied, version: Math.max(current, ...applied) };
  });
}

/** `npm run migrate`: migrates the database once with a pool of its own, without opening a store. */
export async function migrateDatabase(options: { connectionString: string; schema?: string }): Promise<MigrationReport> {
  const schema = options.schema ?? 'public';
  const db = new Db(createPool({ connectionString: options.connectionString, schema, maxConnections: 1 }));
  try {
    return await migrateSchema(db, schema);
  } finally {
    await db.pool.end();
  }
}
