import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createPendingTicketWrites } from '../../src/orchestrator/pending-ticket-writes.js';
import { createLowdbStore } from '../../src/store/lowdb/create-lowdb-store.js';
import { createTestLogger } from '../support/test-logger.js';
import { MAPPING_SECRET, TestClock, resultBody, startHarness, useHarnesses } from './support/runner-harness.js';

const harness = useHarnesses();
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('POST /runner/result', () => {
  it('finishes the run and moves the ticket to review with the PR link', async () => {
    const h = await harness();
    const run = await h.seedRun();
    const res = await h.post('/runner/result', h.mint(run).resultToken, resultBody(run, { summary: 'Added it', costUsd: 1.25, tokens: { input: 10, output: 20 } }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ runId: run.id, attempt: 1, status: 'pr_opened' });
    const stored = await h.store.runs.getRun(run.id);
    expect(stored).toMatchObject({ status: 'pr_opened', prUrl: 'https://github.com/acme/app/pull/7', prNumber: 7, summary: 'Added it', costUsd: 1.25, tokens: { input: 10, output: 20 } });
    expect(stored?.finishedAt).toBe(new Date(h.clock.now()).toISOString());
    const item = h.linear.items.get(run.issueId);
    expect(item?.stateName).toBe('In Review');
    expect(item?.markers).toEqual(['pr-ready']);
    const comments = h.linear.commentsOf(run.issueId);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.key).toBe(`run-status:${run.id}`);
    expect(comments[0]?.body).toContain('https://github.com/acme/app/pull/7');
    expect(comments[0]?.body).toContain('✅ Succeeded');
  });

  it('accepts exactly one of 1,000 concurrent replays of one token: one 200, 999 × 409, one finish, one comment', async () => {
    const h = await harness();
    const run = await h.seedRun();
    const { resultToken } = h.mint(run);
    const body = resultBody(run);
    const statuses = await Promise.all(
      Array.from({ length: 1000 }, async () => {
        const res = await h.post('/runner/result', resultToken, body);
        const json = (await res.json()) as { error?: string };
        return res.status === 409 ? `409 ${json.error}` : String(res.status);
      }),
    );
    const counts = statuses.reduce<Record<string, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});
    expect(counts).toEqual({ '200': 1, '409 token_replayed': 999 });
    expect((await h.store.runs.getRun(run.id))?.status).toBe('pr_opened');
    expect(h.linear.transitions).toHaveLength(1);
    expect(h.linear.commentsOf(run.issueId)).toHaveLength(1);
    expect(h.linear.countCalls('ensureComment')).toBe(1);
    expect(h.lines.filter((l) => l.includes('"msg":"run finished"'))).toHaveLength(1);
  }, 60_000);

  it('records the result when a ticket write throws, answers 200 with warnings, and a later retry completes it', async () => {
    const h = await harness();
    const run = await h.seedRun();
    h.linear.failNext('transition');
    h.linear.failNext('ensureComment');
    const res = await h.post('/runner/result', h.mint(run).resultToken, resultBody(run));
    expect(res.status).toBe(200);
    const json = (await res.json()) as { status: string; warnings: string[] };
    expect(json.status).toBe('pr_opened');
    expect(json.warnings).toHaveLength(2);
    expect(json.warnings.join('\n')).toMatch(/transition to ready-for-review failed .*queued for retry/);
    expect((await h.store.runs.getRun(run.id))?.status).toBe('pr_opened');
    expect(h.linear.items.get(run.issueId)?.stateName).toBe('In Progress');
    expect(h.linear.commentsOf(run.issueId)).toHaveLength(0);
    expect(await h.pending.list()).toHaveLength(2);

    // Not due yet: nothing is attempted.
    expect(await h.pending.retryPendingTicketWrites()).toEqual({ attempted: 0, succeeded: 0, deferred: 0, dropped: 0 });
    h.clock.advance(31_000);
    h.linear.failNext('ensureComment');
    expect(await h.pending.retryPendingTicketWrites()).toEqual({ attempted: 2, succeeded: 1, deferred: 1, dropped: 0 });
    expect(h.linear.items.get(run.issueId)?.stateName).toBe('In Review');
    h.clock.advance(61_000);
    expect(await h.pending.retryPendingTicketWrites()).toEqual({ attempted: 1, succeeded: 1, deferred: 0, dropped: 0 });
    expect(h.linear.commentsOf(run.issueId)[0]?.body).toContain('https://github.com/acme/app/pull/7');
    expect(await h.pending.list()).toEqual([]);
  });

  it('keeps pending ticket writes across a process restart (lowdb store reopened)', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'runner-pending-'));
    dirs.push(dataDir);
    const clock = new TestClock();
    const first = await startHarness({ clock, store: createLowdbStore({ dataDir, clock: clock.now }) });
    const run = await first.seedRun();
    first.linear.failNext('getItem', 10);
    const res = await first.post('/runner/result', first.mint(run).resultToken, resultBody(run));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { warnings: string[] }).warnings.length).toBeGreaterThan(0);
    await first.close();

    const store = createLowdbStore({ dataDir, clock: clock.now });
    await store.open();
    try {
      const second = await harness({ clock, store });
      second.linear.addItem({ id: run.issueId, identifier: run.identifier });
      clock.advance(60_000);
      const summary = await second.pending.retryPendingTicketWrites();
      expect(summary.attempted).toBe(4);
      expect(summary.succeeded).toBe(4);
      expect(second.linear.items.get(run.issueId)?.markers).toEqual(['pr-ready']);
    } finally {
      if (store.isOpen) await store.close();
    }
  });

  it('drops a pending write whose ticket is gone and gives up after the attempts run out', async () => {
    const h = await harness();
    const { log } = createTestLogger();
    const pending = createPendingTicketWrites({ store: h.store, trackers: { linear: h.linear }, clock: h.clock.now, log, maxAttempts: 2, baseDelayMs: 1000 });
    h.linear.addItem({ id: 'i-1', identifier: 'ENG-1' });
    h.linear.failNext('addMarker', 10);
    await pending.apply([{ tracker: 'linear', issueId: 'i-1', runId: 'r', op: 'add-marker', marker: 'pr-ready' }]);
    await pending.apply([{ tracker: 'linear', issueId: 'missing', runId: 'r', op: 'add-marker', marker: 'pr-ready' }]);
    expect(await pending.list()).toHaveLength(1);
    h.clock.advance(1_000);
    expect(await pending.retryPendingTicketWrites()).toMatchObject({ attempted: 1, deferred: 1 });
    h.clock.advance(2_000);
    expect(await pending.retryPendingTicketWrites()).toMatchObject({ attempted: 1, dropped: 1 });
    expect(await pending.list()).toEqual([]);
  });

  it('posts the failure reason and failed step, and removes the working marker', async () => {
    const h = await harness();
    const run = await h.seedRun();
    const body = { runId: run.id, attempt: 1, outcome: 'failed', failureReason: `tests failed with key ${MAPPING_SECRET}`, failedStep: 'run-tests' };
    expect((await h.post('/runner/result', h.mint(run).resultToken, body)).status).toBe(200);
    const item = h.linear.items.get(run.issueId);
    expect(item?.markers).toEqual([]);
    expect(item?.stateName).toBe('In Progress');
    const comment = h.linear.commentsOf(run.issueId)[0]?.body ?? '';
    expect(comment).toContain('❌ Failed');
    expect(comment).toContain('Failure (step `run-tests`): tests failed with key [REDACTED]');
    expect(comment).not.toContain(MAPPING_SECRET);
    expect((await h.store.runs.getRun(run.id))?.failedStep).toBe('run-tests');
  });

  it('records the tokens (cache included), the cost and the agent, and the final comment states them', async () => {
    const h = await harness();
    const run = await h.seedRun();
    const usage = {
      costUsd: 0.0421,
      tokens: { input: 12_345, output: 2_345, cacheRead: 10_000, cacheWrite: 500 },
      agent: { runtime: 'claude-code', model: 'claude-sonnet-4-5', provider: 'anthropic', fallbackFrom: ['codex'] },
    };
    expect((await h.post('/runner/result', h.mint(run).resultToken, resultBody(run, usage))).status).toBe(200);
    expect(await h.store.runs.getRun(run.id)).toMatchObject(usage);
    const comment = h.linear.commentsOf(run.issueId)[0]?.body ?? '';
    expect(comment).toContain('Done by claude-code (claude-sonnet-4-5, after codex gave up) — 12,345 in / 2,345 out / 10,000 cache read / 500 cache write tokens, $0.0421');
  });

  it('cleans runner text once on arrival: escapes stripped, secrets redacted, markers neutralised, in the record and on the ticket', async () => {
    const h = await harness();
    const run = await h.seedRun();
    const body = {
      runId: run.id,
      attempt: 1,
      outcome: 'failed',
      summary: '\x1b[1m\x1b[32m✓\x1b[0m done\r\n\x1b[2Kcloned',
      failedStep: 'implement\x1b[0m',
      failureReason: `the agent exited with 1\r\n\x1b[31mError:\x1b[0m 401 for key ${MAPPING_SECRET}\r\n<!-- ai-implement:run-status:other-run -->`,
      agent: { runtime: '\x1b[1mopencode\x1b[0m', model: 'anthropic/claude-sonnet-4-5 `x`' },
    };
    expect((await h.post('/runner/result', h.mint(run).resultToken, body)).status).toBe(200);
    const stored = await h.store.runs.getRun(run.id);
    expect(stored).toMatchObject({ summary: '✓ done\ncloned', failedStep: 'implement', agent: { runtime: 'opencode', model: 'anthropic/claude-sonnet-4-5 x' } });
    expect(stored?.failureReason).toBe('the agent exited with 1\nError: 401 for key [REDACTED]\n<!-- ai-implement\u200b:run-status:other-run -->');
    const comment = h.linear.commentsOf(run.issueId)[0]?.body ?? '';
    expect(comment).toContain('Failure (step `implement`): the agent exited with 1\n```\nError: 401 for key [REDACTED]\n<!-- ai-implement\u200b:run-status:other-run -->\n```');
    expect(comment).not.toContain('\x1b');
    expect(comment).not.toContain(MAPPING_SECRET);
  });

  it('posts the plan of a plan run as its own comment and leaves it awaiting approval', async () => {
    const h = await harness();
    const run = await h.seedRun({ phase: 'plan' });
    h.linear.items.get(run.issueId)!.markers = ['planning'];
    const body = { runId: run.id, attempt: 1, outcome: 'succeeded', plan: '1. Add a toggle\n2. Persist it' };
    expect((await h.post('/runner/result', h.mint(run).resultToken, body)).status).toBe(200);
    // The planning marker stays: a person approves the plan (Plan-Complete) before implementation starts.
    expect(h.linear.items.get(run.issueId)?.markers).toEqual(['planning']);
    const plan = h.linear.commentsOf(run.issueId).find((c) => c.key === `run-plan:${run.id}`);
    expect(plan?.body).toContain('1. Add a toggle\n2. Persist it');
    expect(h.linear.transitions).toEqual([]);
  });

  it('marks a plan plan-complete at once when its project approves plans automatically', async () => {
    const h = await harness();
    const mapping = (await h.store.mappings.list())[0]!;
    await h.store.mappings.upsert({ ...mapping, planningEnabled: true, autoApprovePlans: true });
    const run = await h.seedRun({ phase: 'plan' });
    h.linear.items.get(run.issueId)!.markers = ['planning'];
    const body = { runId: run.id, attempt: 1, outcome: 'succeeded', plan: 'Do it.' };
    expect((await h.post('/runner/result', h.mint(run).resultToken, body)).status).toBe(200);
    expect(h.linear.items.get(run.issueId)?.markers).toEqual(['plan-complete']);
  });

  it('hands the finished run to the after-finish hook once, and reports a failing hook as a warning', async () => {
    const seen: string[] = [];
    let fail = false;
    const h = await harness({
      afterFinish: async (run) => {
        seen.push(`${run.id}:${run.status}`);
        if (fail) throw new Error('settle failed');
      },
    });
    const run = await h.seedRun();
    const { resultToken } = h.mint(run);
    expect((await h.post('/runner/result', resultToken, resultBody(run))).status).toBe(200);
    expect((await h.post('/runner/result', resultToken, resultBody(run))).status).toBe(409);
    expect(seen).toEqual([`${run.id}:pr_opened`]);
    fail = true;
    const other = await h.seedRun();
    const res = await h.post('/runner/result', h.mint(other).resultToken, { runId: other.id, attempt: 1, outcome: 'failed' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { warnings: string[] }).warnings).toEqual(['follow-up after the result failed: settle failed']);
  });

  it('leaves the ticket alone for a shadow leg', async () => {
    const h = await harness();
    const run = await h.seedRun({ shadowOf: 'primary-run' });
    expect((await h.post('/runner/result', h.mint(run).resultToken, resultBody(run))).status).toBe(200);
    expect((await h.store.runs.getRun(run.id))?.status).toBe('pr_opened');
    expect(h.linear.calls).toEqual([]);
  });
});
