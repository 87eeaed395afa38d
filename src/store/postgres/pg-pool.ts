import pg from 'pg';
import { assertSchemaName } from './schema-name.js';

export interface PoolOptions {
  connectionString: string;
  /** The schema holding the tables (default `public`). */
  schema?: string;
  /** Connections in the pool (default 10). */
  maxConnections?: number;
  /** An idle pooled connection failed (the server restarted, a network blip); the pool replaces it. */
  onConnectionError?: (error: Error) => void;
}

/**
 * The pool for one schema. Another schema than `public` is put on each
 * connection's search path with a startup option; `public` needs none, which
 * keeps the default usable through poolers (PgBouncer) that refuse startup
 * options.
 */
export function createPool(options: PoolOptions): pg.Pool {
  const schema = options.schema ?? 'public';
  assertSchemaName(schema);
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    application_name: 'ai-implement',
    // A server that does not answer fails the call (a retryable outage) instead of hanging it.
    connectionTimeoutMillis: 10_000,
    ...(schema === 'public' ? {} : { options: `-c search_path=${schema}` }),
  });
  // Without a listener an idle connection's error would crash the process.
  pool.on('error', (error) => options.onConnectionError?.(error));
  return pool;
}

