import { ConfigError } from '../../errors/index.js';

/** Written into `search_path` and DDL, so only a plain identifier. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertSchemaName(schema: string): void {
  if (!SCHEMA_NAME.test(schema)) throw new ConfigError(`PostgreSQL schema "${schema}" must be a lower-case SQL identifier (letters, digits, _)`);
}
