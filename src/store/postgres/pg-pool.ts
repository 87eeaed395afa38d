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

/** The pool for one schema: every connection starts with the schema on its search path. */
export function createPool(options: PoolOptions): pg.Pool {
  const schema = options.schema ?? 'public';
  assertSchemaName(schema);
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    application_name: 'ai-implement',
    options: `-c search_path=${schema}`,
  });
  // Without a listener an idle connection's error would crash the process.
  pool.on('error', (error) => options.onConnectionError?.(error));
  return pool;
}

