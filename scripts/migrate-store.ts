/**
 * `npm run migrate-store -- [DATA_DIR]`: copies the embedded store under
 * DATA_DIR (default: $DATA_DIR, else ./data) into the empty PostgreSQL
 * database named by DATABASE_URL, then checks the copy by counts. Stop the
 * server first: the data directory's lock refuses a second process anyway.
 * The data directory is only read; switching over is setting DATABASE_URL.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_VARIABLES } from '../src/config/index.js';
import { copyStore } from '../src/store/copy-store.js';
import { HOT_FILE_NAME, createLowdbStore } from '../src/store/lowdb/create-lowdb-store.js';
import { createPostgresStore } from '../src/store/postgres/create-postgres-store.js';

async function main(): Promise<number> {
  const url = process.env['DATABASE_URL']?.trim();
  const dataDir = process.argv[2] ?? process.env['DATA_DIR'] ?? './data';
  if (!url) {
    process.stderr.write('migrate-store: DATABASE_URL is not set; set it to the (empty) PostgreSQL database to copy into\n');
    return 2;
  }
  const parsed = CONFIG_VARIABLES.find((v) => v.name === 'DATABASE_URL')!.schema.safeParse(url);
  if (!parsed.success) {
    process.stderr.write(`migrate-store: ${parsed.error.issues.map((i) => i.message).join('; ')}\n`);
    return 2;
  }
  if (!existsSync(path.join(dataDir, HOT_FILE_NAME))) {
    process.stderr.write(`migrate-store: ${path.resolve(dataDir)} holds no embedded store (no ${HOT_FILE_NAME}); pass the server's DATA_DIR\n`);
    return 2;
  }
  const source = createLowdbStore({ dataDir });
  const target = createPostgresStore({ connectionString: url });
  await source.open();
  try {
    await target.open();
    try {
      const report = await copyStore(source, target);
      const rows = Object.keys(report.read).map((kind) => `  ${kind.padEnd(14)} ${String(report.read[kind as keyof typeof report.read]).padStart(9)} ${String(report.target[kind as keyof typeof report.target]).padStart(9)}`);
      process.stdout.write(`migrate-store: ${dataDir} → PostgreSQL\n  ${'kind'.padEnd(14)} ${'read'.padStart(9)} ${'in target'.padStart(9)}\n${rows.join('\n')}\n`);
      if (report.mismatches.length > 0) {
        process.stderr.write(`migrate-store: the copy is NOT whole:\n${report.mismatches.map((m) => `  - ${m}`).join('\n')}\n`);
        return 1;
      }
      process.stdout.write('migrate-store: every count matches; set DATABASE_URL to switch over\n');
      return 0;
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`migrate-store: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
