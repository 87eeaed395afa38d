/**
 * `npm run migrate-store -- [--to-lowdb] [DATA_DIR]`: moves the ledger
 * between the embedded store under DATA_DIR (default: $DATA_DIR, else ./data)
 * and the PostgreSQL database named by DATABASE_URL, then checks the copy by
 * counts. Without a flag it copies the data directory into the empty
 * database; with `--to-lowdb` it copies the database into an empty data
 * directory (a single-node downgrade). The source is only read. Stop the
 * server first: the data directory's lock refuses a second process anyway.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_VARIABLES } from '../config/index.js';
import { copyStore, type MovableStore, type StoreCopyReport } from '../store/copy-store.js';
import { HOT_FILE_NAME, createLowdbStore } from '../store/lowdb/create-lowdb-store.js';
import { createPostgresStore } from '../store/postgres/create-postgres-store.js';

const USAGE = 'usage: npm run migrate-store -- [--to-lowdb] [DATA_DIR]   (DATABASE_URL names the PostgreSQL database)';

interface Plan {
  url: string;
  dataDir: string;
  toLowdb: boolean;
}

function planOf(argv: readonly string[]): Plan | string {
  const flags = argv.filter((a) => a.startsWith('-'));
  const unknown = flags.filter((f) => f !== '--to-lowdb');
  if (unknown.length > 0) return `unknown option ${unknown.join(', ')}; ${USAGE}`;
  const dirs = argv.filter((a) => !a.startsWith('-'));
  if (dirs.length > 1) return `one data directory at most, got ${dirs.join(', ')}; ${USAGE}`;
  const url = process.env['DATABASE_URL']?.trim();
  if (!url) return 'DATABASE_URL is not set; set it to the PostgreSQL database to copy into (or, with --to-lowdb, from), e.g. postgres://user:password@host:5432/ai_implement';
  const parsed = CONFIG_VARIABLES.find((v) => v.name === 'DATABASE_URL')!.schema.safeParse(url);
  if (!parsed.success) return parsed.error.issues.map((i) => i.message).join('; ');
  return { url, dataDir: dirs[0] ?? process.env['DATA_DIR'] ?? './data', toLowdb: flags.includes('--to-lowdb') };
}

function printReport(from: string, to: string, report: StoreCopyReport): void {
  const rows = Object.keys(report.read).map((kind) => `  ${kind.padEnd(14)} ${String(report.read[kind as keyof typeof report.read]).padStart(9)} ${String(report.target[kind as keyof typeof report.target]).padStart(9)}`);
  process.stdout.write(`migrate-store: ${from} → ${to}\n  ${'kind'.padEnd(14)} ${'read'.padStart(9)} ${'in target'.padStart(9)}\n${rows.join('\n')}\n`);
}

async function copy(source: MovableStore, target: MovableStore, from: string, to: string, done: string): Promise<number> {
  await source.open();
  try {
    await target.open();
    try {
      const report = await copyStore(source, target);
      printReport(from, to, report);
      if (report.mismatches.length > 0) {
        process.stderr.write(`migrate-store: the copy is NOT whole:\n${report.mismatches.map((m) => `  - ${m}`).join('\n')}\n`);
        return 1;
      }
      process.stdout.write(`migrate-store: every count matches; ${done}\n`);
      return 0;
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const plan = planOf(argv);
  if (typeof plan === 'string') {
    process.stderr.write(`migrate-store: ${plan}\n`);
    return 2;
  }
  const dir = path.resolve(plan.dataDir);
  const database = createPostgresStore({ connectionString: plan.url });
  if (plan.toLowdb) {
    if (existsSync(dir) && readdirSync(dir).some((name) => name !== 'sandbox' && !name.startsWith('.'))) {
      process.stderr.write(`migrate-store: ${dir} is not empty; --to-lowdb writes into a new, empty data directory\n`);
      return 2;
    }
    mkdirSync(dir, { recursive: true });
    return copy(database, createLowdbStore({ dataDir: dir }), 'PostgreSQL', dir, `start the server with DATA_DIR=${dir} and without DATABASE_URL`);
  }
  if (!existsSync(path.join(dir, HOT_FILE_NAME))) {
    process.stderr.write(`migrate-store: ${dir} holds no embedded store (no ${HOT_FILE_NAME}); pass the server's DATA_DIR\n`);
    return 2;
  }
  return copy(createLowdbStore({ dataDir: dir }), database, dir, 'PostgreSQL', 'set DATABASE_URL to switch over');
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // The URL (with its password) is not in pg's messages; the message is what the operator needs.
    process.stderr.write(`migrate-store: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
