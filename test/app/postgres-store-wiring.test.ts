import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOrchestrator, type RunningOrchestrator } from '../../src/app.js';
import { signHmacSha256 } from '../../src/http/verify-hmac.js';
import { createTestDatabase } from '../store/postgres-test-db.js';

describe('DATABASE_URL wiring (sandbox mode, in process)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let orchestrator: RunningOrchestrator | undefined;
  let dataDir: string;

  const rows = async (text: string) => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      return (await client.query(text)).rows as Record<string, unknown>[];
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'ai-implement-pg-wiring-'));
    orchestrator = await startOrchestrator({
      env: { DATA_DIR: dataDir, DATABASE_URL: database.url, PORT: '0', LOG_LEVEL: 'silent' },
      print: () => undefined,
      logDestination: new Writable({ write: (_c, _e, cb) => cb() }),
    });
  });

  afterAll(async () => {
    await orchestrator?.stop();
    await database?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps the ledger in PostgreSQL, not under DATA_DIR', async () => {
    expect(orchestrator!.config.databaseUrl).toBe(database.url);
    expect((await fetch(`${orchestrator!.url}/readyz`)).status).toBe(200);
    expect((await rows('SELECT team_key FROM mappings ORDER BY team_key')).map((r) => r['team_key'])).toEqual(['DEMO', 'OPS']);
    expect((await rows('SELECT version FROM migrations')).length).toBeGreaterThan(0);
    expect(existsSync(join(dataDir, 'store.json'))).toBe(false);
    expect(existsSync(join(dataDir, '.lock'))).toBe(false);
  });

  it('records a signed GitHub delivery in the PostgreSQL inbox before answering', async () => {
    const body = JSON.stringify({ action: 'created', installation: { id: 1 } });
    const signature = signHmacSha256(orchestrator!.config.github.webhookSecret!, body, 'sha256=');
    const res = await fetch(`${orchestrator!.url}/api/github/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'issue_comment', 'x-github-delivery': 'pg-delivery-1', 'x-hub-signature-256': signature },
      body,
    });
    expect(res.status).toBe(202);
    const [row] = await rows(`SELECT source, event, status FROM inbox WHERE id = 'pg-delivery-1'`);
    expect(row).toMatchObject({ source: 'github', event: 'issue_comment' });
    expect(['pending', 'leased', 'completed']).toContain(row?.['status']);
  });
});
