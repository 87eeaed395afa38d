import { createAdminCommands } from '../src/admin/admin-commands.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import express from 'express';
import { loadConfig, SecretRegistry } from '../src/config/index.js';
import { demoMappings } from '../src/sandbox/seed-demo.js';
import type { Run } from '../src/domain/run.js';
import type { RunStep } from '../src/domain/step.js';
import type { AdminDeps } from '../src/http/admin/admin-deps.js';
import { createAdminRouter } from '../src/http/admin/create-admin-router.js';
import { createLogger } from '../src/logging/create-logger.js';
import { createOperations } from '../src/operations/create-operations.js';
import { findProjectRoot } from '../src/package-info.js';
import type { RunHistoryRecord } from '../src/store/core/hot-doc.js';
import { createLowdbStore } from '../src/store/lowdb/create-lowdb-store.js';
import { seedRunHistory } from '../src/store/lowdb/seed-run-history.js';
import { formatTable, percentile, type BenchTable } from './bench-table.js';

const HISTORY = 100_000;
const ACTIVE = 20;
const SAMPLES = 25;
const WARMUP = 3;
const TARGET_MS = 100;
const TOKEN = 'b'.repeat(43);

/** One finished run a minute, back from now: the last 24 hours hold 1,440 of them, like a busy install. */
function historicRecord(i: number, now: number): RunHistoryRecord {
  const at = new Date(now - (i + 1) * 60_000).toISOString();
  const failed = i % 7 === 0;
  const run: Run = {
    id: `run-${i}`,
    issueId: `issue-${i}`,
    identifier: `${i % 2 ? 'DEMO' : 'OPS'}-${i}`,
    title: `Make the widget frobnicate properly (${i})`,
    tracker: i % 2 ? 'linear' : 'jira',
    mappingKey: i % 2 ? 'DEMO' : 'OPS',
    phase: 'implement',
    status: failed ? 'failed' : 'succeeded',
    attempt: 1,
    dispatchNumber: 1 + (i % 3),
    backend: i % 5 ? 'github-actions' : 'fly-machines',
    runnerMode: 'default',
    triggerSource: i % 4 ? 'poll' : 'linear-webhook',
    upstreamId: `${1_000_000 + i}`,
    ...(failed ? { failureReason: 'verify failed: 3 tests', failedStep: 'verify' } : { prUrl: `https://github.com/demo-org/demo-app/pull/${i}`, prNumber: i }),
    costUsd: 0.42,
    createdAt: at,
    updatedAt: at,
    startedAt: at,
    finishedAt: at,
  };
  const steps: RunStep[] = ['clone', 'implement', 'verify', 'push', 'open-pr'].map((id) => ({ runId: run.id, id, type: id, status: 'passed', startedAt: at, finishedAt: at, updatedAt: at }));
  return { run, steps };
}

/** The panels behind a fixed session, so the numbers are rendering and store reads, not the auth hash. */
const benchAuth: AdminDeps['auth'] = {
  login: async () => ({ ok: true, token: TOKEN, expiresAt: new Date(Date.now() + 3_600_000).toISOString(), sessionId: 'bench' }),
  authenticate: async (token) =>
    token === TOKEN ? { id: 'bench', tokenHash: 'bench', codeFingerprint: 'bench', createdAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 3_600_000).toISOString() } : undefined,
  logout: async () => undefined,
};

/**
 * Server time to render each panel with 100k runs in history (p50/p95 over
 * repeated requests, measured from the request's arrival to the response's end).
 */
export async function runPanelsBench(): Promise<BenchTable> {
  const dir = await mkdtemp(path.join(tmpdir(), 'panels-bench-'));
  const now = Date.now();
  try {
    await seedRunHistory(
      dir,
      (function* () {
        for (let i = 0; i < HISTORY; i++) yield historicRecord(i, now);
      })(),
      { chunk: 5000 },
    );
    const store = createLowdbStore({ dataDir: dir });
    await store.open();
    for (const mapping of demoMappings(new Date(now).toISOString())) await store.mappings.upsert(mapping);
    for (let i = 0; i < ACTIVE; i++) {
      await store.runs.claimTicket({ issueId: `live-${i}`, identifier: `DEMO-L${i}`, tracker: 'linear', mappingKey: 'DEMO', phase: 'implement', backend: 'github-actions', runnerMode: 'default', triggerSource: 'poll' });
    }
    const config = loadConfig({ ADMIN_ACCESS_CODE: 'bench-access-code-long', DATA_DIR: dir, PORT: '0' }, { sandbox: true });
    // As in production: pages are scrubbed by a registry holding the configured secrets and a day's minted tokens.
    const secrets = new SecretRegistry();
    for (let i = 0; i < 10; i++) secrets.register(`configured-secret-${i}-${'x'.repeat(24)}`);
    for (let i = 0; i < 3_000; i++) secrets.register(`ghs_${i.toString(36).padStart(36, 'k')}`, { expiresAt: Date.now() + 3_600_000 });
    const log = createLogger({ level: 'fatal', format: 'json', secrets, destination: new Writable({ write: (_c, _e, done) => done() }) });
    const timings = new Map<string, number[]>();
    const app = express();
    app.set('query parser', 'simple');
    app.use((req, res, next) => {
      const started = performance.now();
      res.on('finish', () => {
        const key = String(req.headers['x-bench-panel'] ?? req.path);
        timings.set(key, [...(timings.get(key) ?? []), performance.now() - started]);
      });
      next();
    });
    // No Fly token and no GitHub App in this config: sessions, secrets and workflow sync are absent, as on a bare install.
    const settle = { store, trackers: {}, clock: Date.now, log, retryLimit: 2, dedupWindowMs: 24 * 3_600_000 };
    const operations = createOperations({ config, store, log, clock: Date.now, trackers: {}, github: undefined, backends: {}, settle, flySessionsApp: () => 'bench-sessions' });
    const commands = createAdminCommands({ store, clock: Date.now, env: { runnerModeOverride: undefined, flySessionsApp: undefined, flySessionsRegion: undefined } });
    app.use(createAdminRouter({ config, store, clock: Date.now, log, auth: benchAuth, commands, operations, jira: undefined, latestCycle: () => undefined, projectRoot: findProjectRoot(), redaction: secrets }));
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const cookie = `ai_implement_admin=${TOKEN}`;
    const panels: [string, string][] = [
      ['Overview', '/admin'],
      ['Issues', '/admin/issues'],
      ['Pipelines (500 latest)', '/admin/jobs'],
      ['Pipelines filtered', '/admin/jobs?status=failed&mapping=OPS&runner=fly-machines'],
      ['Run page', '/admin/runs/run-7'],
      ['Pull requests', '/admin/pulls'],
      ['Blockers', '/admin/blockers'],
      ['Projects', '/admin/projects'],
      ['Project stepper', '/admin/projects/new'],
      ['Pipelines & steps', '/admin/pipelines-steps'],
      ['Models & providers', '/admin/models'],
      ['Runners', '/admin/runners'],
      ['Sessions', '/admin/sessions'],
      ['Reaper', '/admin/reaper'],
      ['Secrets', '/admin/secrets'],
      ['Settings', '/admin/settings'],
      ['Audit log', '/admin/audit'],
      ['Customizations', '/admin/customizations'],
    ];
    const rows: (string | number)[][] = [];
    const missed: string[] = [];
    for (const [name, url] of panels) {
      for (let i = 0; i < WARMUP + SAMPLES; i++) {
        const res = await fetch(`${base}${url}`, { headers: { cookie, 'x-bench-panel': name } });
        if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
        await res.arrayBuffer();
      }
      const samples = (timings.get(name) ?? []).slice(WARMUP).sort((a, b) => a - b);
      const p95 = percentile(samples, 95);
      if (p95 > TARGET_MS) missed.push(name);
      rows.push([name, round(percentile(samples, 50)), round(p95), p95 <= TARGET_MS ? 'met' : 'missed']);
    }
    await new Promise((resolve) => server.close(resolve));
    await store.close();
    return {
      title: `Admin panels: server render time with ${HISTORY.toLocaleString('en')} runs in history (${SAMPLES} requests each, ms)`,
      columns: ['panel', 'p50', 'p95', `≤ ${TARGET_MS} ms`],
      rows,
      notes: [missed.length === 0 ? `Target met: every panel's p95 is within ${TARGET_MS} ms.` : `Target missed for: ${missed.join(', ')}.`],
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const round = (n: number) => Math.round(n * 100) / 100;

// `tsx bench/panels-bench.ts` runs this bench alone.
if (import.meta.url === `file://${process.argv[1]}`) console.log(formatTable(await runPanelsBench()));
