import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Run } from '../src/domain/run.js';
import type { RunStep } from '../src/domain/step.js';
import type { RunHistoryRecord } from '../src/store/core/hot-doc.js';
import { seedLogHistory } from '../src/store/lowdb/seed-log-history.js';
import { seedRunHistory } from '../src/store/lowdb/seed-run-history.js';

const MINUTE = 60_000;
const STEP_IDS = ['clone', 'implement', 'verify', 'push', 'open-pr'] as const;
const LOG_LINE = 'npm test: 214 passing (3s), 0 failing; lint clean; build ok in 4.1 s\n';

/** A stable UUID-shaped id, so ids look and sort like the ones the store mints. */
export function benchRunId(i: number): string {
  const hex = i.toString(16).padStart(12, '0');
  return `7f3c2a10-5b1e-4c2d-9a8b-${hex}`;
}

/**
 * One finished run the size of a real one (~2.7 KB of JSON with its five
 * steps, as measured on a busy install): run i finished i+1 minutes before
 * `now`, so the last 24 hours hold 1,440 runs whatever the history size.
 */
export function benchHistoryRecord(i: number, now: number): RunHistoryRecord {
  const at = new Date(now - (i + 1) * MINUTE).toISOString();
  const started = new Date(now - (i + 1) * MINUTE - 9 * MINUTE).toISOString();
  const failed = i % 7 === 0;
  const mappingKey = i % 2 ? 'DEMO' : 'OPS';
  const run: Run = {
    id: benchRunId(i),
    issueId: `b7e9d0c4-2f61-4e0a-8c57-${(i >>> 1).toString(16).padStart(12, '0')}`,
    identifier: `${mappingKey}-${i}`,
    title: `Make the widget frobnicate properly when the configuration changes (${i})`,
    tracker: i % 2 ? 'linear' : 'jira',
    mappingKey,
    phase: i % 5 === 0 ? 'plan' : 'implement',
    status: failed ? 'failed' : 'succeeded',
    attempt: 1,
    dispatchNumber: 1 + (i % 3),
    backend: i % 5 ? 'github-actions' : 'fly-machines',
    runnerMode: 'default',
    triggerSource: i % 4 ? 'poll' : 'linear-webhook',
    upstreamId: `${9_000_000_000 + i}`,
    upstreamUrl: `https://github.com/demo-org/demo-app/actions/runs/${9_000_000_000 + i}`,
    branch: `ai-implement/${mappingKey.toLowerCase()}-${i}`,
    ...(failed
      ? { failureReason: 'verify failed: 3 tests failed in src/widget.test.ts', failedStep: 'verify' }
      : { prUrl: `https://github.com/demo-org/demo-app/pull/${i}`, prNumber: i, summary: 'Changed the widget configuration loader, added tests for the reload path and updated the README.' }),
    costUsd: 0.42,
    tokens: { input: 48_211, output: 6_934, cacheRead: 120_400, cacheWrite: 9_100 },
    agent: { runtime: 'claude-code', model: 'claude-sonnet-4', provider: 'anthropic' },
    createdAt: started,
    updatedAt: at,
    startedAt: started,
    finishedAt: at,
  };
  const steps: RunStep[] = STEP_IDS.map((id) => ({
    runId: run.id,
    id,
    type: id,
    status: failed && id === 'verify' ? 'failed' : 'passed',
    startedAt: started,
    finishedAt: at,
    logExcerpt: LOG_LINE.repeat(3),
    updatedAt: at,
  }));
  return { run, steps };
}

/** Bytes under a directory, for the "on disk" column. */
export async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    total += entry.isDirectory() ? await directoryBytes(full) : (await stat(full)).size;
  }
  return total;
}

/**
 * A data directory holding `size` finished runs, written straight in the
 * store's own format by the bulk path (`seedRunHistory`), oldest first; with
 * `audit`, also the `dispatch.start` audit event every dispatch appends.
 */
export async function prepareHistoryDataDir(dir: string, size: number, now: number, audit = false): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await seedRunHistory(
    dir,
    (function* () {
      for (let i = size - 1; i >= 0; i--) yield benchHistoryRecord(i, now);
    })(),
    // Small appends keep each file near the 8 MiB rotation size, as a running store leaves them.
    { chunk: 500 },
  );
  if (!audit) return;
  await seedLogHistory(
    dir,
    'audit',
    (function* () {
      for (let i = size - 1; i >= 0; i--) {
        const { run } = benchHistoryRecord(i, now);
        yield {
          at: run.createdAt,
          actor: 'orchestrator',
          action: 'dispatch.start',
          target: run.id,
          after: { issue: run.identifier, mapping: run.mappingKey, phase: run.phase, backend: run.backend, dispatchNumber: run.dispatchNumber, triggerSource: run.triggerSource },
        };
      }
    })(),
    { chunk: 2_000 },
  );
}
