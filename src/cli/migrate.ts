/**
 * `npm run migrate`: brings the PostgreSQL schema named by DATABASE_URL up to
 * this build's newest migration and says what it applied. The server does the
 * same at every start (under the same advisory lock), so this is for running
 * it ahead of a deploy, or checking that a database is reachable and current.
 */
import { CONFIG_VARIABLES } from '../config/index.js';
import { migrateDatabase } from '../store/postgres/migrate-schema.js';

async function main(): Promise<number> {
  const raw = process.env['DATABASE_URL']?.trim();
  if (!raw) {
    process.stderr.write('migrate: DATABASE_URL is not set; set it to the PostgreSQL database to migrate, e.g. postgres://user:password@host:5432/ai_implement\n');
    return 2;
  }
  const parsed = CONFIG_VARIABLES.find((v) => v.name === 'DATABASE_URL')!.schema.safeParse(raw);
  if (!parsed.success) {
    process.stderr.write(`migrate: ${parsed.error.issues.map((i) => i.message).join('; ')}\n`);
    return 2;
  }
  const report = await migrateDatabase({ connectionString: raw });
  process.stdout.write(
    report.applied.length > 0
      ? `migrate: applied migration${report.applied.length === 1 ? '' : 's'} ${report.applied.join(', ')}; the schema is at version ${report.version}\n`
      : `migrate: nothing to do; the schema is at version ${report.version}\n`,
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    // The URL (with its password) is not in pg's messages; the message is what the operator needs.
    process.stderr.write(`migrate: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
