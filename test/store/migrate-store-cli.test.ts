import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLowdbStore } from '../../src/store/lowdb/create-lowdb-store.js';
import { createTestDatabase } from './postgres-test-db.js';
import { intent, mapping } from './store-fixtures.js';

/**
 * `npm run migrate` and `npm run migrate-store` as an operator runs them from
 * the built image (`node dist/src/cli/…`, no dev tools): there and back, with
 * the refusals in sentences.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const cli = (name: string, args: string[], env: Record<string, string | undefined>) => {
  const out = spawnSync(process.execPath, [path.join(ROOT, 'dist/src/cli', `${name}.js`), ...args], { env: { PATH: process.env['PATH'], ...env }, encoding: 'utf8', timeout: 60_000 });
  return { code: out.status, stdout: out.stdout, stderr: out.stderr };
};

let database: Awaited<ReturnType<typeof createTestDatabase>>;
const dirs: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};

beforeAll(async () => {
  if (!existsSync(path.join(ROOT, 'dist/src/cli/migrate-store.js'))) throw new Error('dist/ is missing: run "npm run build" (npm test does)');
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('npm run migrate / migrate-store from dist/', () => {
  it('migrates the schema, copies a data directory into PostgreSQL, and back into a new data directory', async () => {
    const source = tempDir('migrate-cli-source-');
    const store = createLowdbStore({ dataDir: source });
    await store.open();
    await store.mappings.upsert(mapping('ENG'));
    for (let i = 0; i < 3; i++) {
      const claim = await store.runs.claimTicket(intent({ issueId: `i${i}`, identifier: `ENG-${i}` }));
      if (claim.claimed && i > 0) await store.runs.updateRun(claim.run.id, { status: 'failed', failureReason: `reason ${i}` });
    }
    await store.close();

    const migrated = cli('migrate', [], { DATABASE_URL: database.url });
    expect(migrated.stderr).toBe('');
    expect(migrated.stdout).toMatch(/^migrate: applied migrations 1, .*; the schema is at version \d+\n$/);
    expect(cli('migrate', [], { DATABASE_URL: database.url }).stdout).toMatch(/^migrate: nothing to do; the schema is at version \d+\n$/);

    const forward = cli('migrate-store', [source], { DATABASE_URL: database.url });
    expect(forward.stderr).toBe('');
    expect(forward.code).toBe(0);
    expect(forward.stdout).toMatch(/run\s+3\s+3/);
    expect(forward.stdout).toContain('every count matches; set DATABASE_URL to switch over');

    // A second copy into the same database is refused: it holds data now.
    const again = cli('migrate-store', [source], { DATABASE_URL: database.url });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already holds data');

    const back = path.join(tempDir('migrate-cli-back-'), 'data');
    const backward = cli('migrate-store', ['--to-lowdb', back], { DATABASE_URL: database.url });
    expect(backward.stderr).toBe('');
    expect(backward.code).toBe(0);
    expect(backward.stdout).toContain(`PostgreSQL → ${back}`);
    expect(backward.stdout).toContain(`start the server with DATA_DIR=${back} and without DATABASE_URL`);
    const downgraded = createLowdbStore({ dataDir: back });
    await downgraded.open();
    try {
      const runs = (await downgraded.runs.listRuns({ limit: 10 })).items;
      expect(runs.map((r) => r.identifier).sort()).toEqual(['ENG-0', 'ENG-1', 'ENG-2']);
      expect(runs.find((r) => r.identifier === 'ENG-2')).toMatchObject({ status: 'failed', failureReason: 'reason 2' });
      expect((await downgraded.mappings.list()).map((m) => m.teamKey)).toEqual(['ENG']);
    } finally {
      await downgraded.close();
    }
    expect(statSync(back).isDirectory()).toBe(true);
  });

  it('refuses what it cannot do, in sentences, changing nothing', () => {
    const noUrl = cli('migrate-store', [], {});
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toContain('DATABASE_URL is not set');
    expect(cli('migrate', [], {}).stderr).toContain('DATABASE_URL is not set');

    const empty = tempDir('migrate-cli-empty-');
    const notAStore = cli('migrate-store', [empty], { DATABASE_URL: database.url });
    expect(notAStore.code).toBe(2);
    expect(notAStore.stderr).toContain(`${empty} holds no embedded store`);

    const occupied = tempDir('migrate-cli-occupied-');
    writeFileSync(path.join(occupied, 'notes.txt'), 'mine');
    const downgradeIntoOccupied = cli('migrate-store', ['--to-lowdb', occupied], { DATABASE_URL: database.url });
    expect(downgradeIntoOccupied.code).toBe(2);
    expect(downgradeIntoOccupied.stderr).toContain(`${occupied} is not empty`);

    const unknown = cli('migrate-store', ['--force'], { DATABASE_URL: database.url });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown option --force');
  });
});
