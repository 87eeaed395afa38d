import { describe, expect, it } from 'vitest';
import type { Run } from '../../src/domain/run.js';
import { MAPPING_SECRET, resultBody, useHarnesses } from './support/runner-harness.js';

const harness = useHarnesses();

const PLANNED = [
  { id: 'checkout', type: 'git.checkout', title: 'Check out' },
  { id: 'agent', type: 'agent.run', title: 'Implement' },
  { id: 'pr', type: 'github.pr', title: 'Open the pull request' },
];

function progress(run: Run, steps: unknown[], extra: Record<string, unknown> = {}) {
  return { runId: run.id, attempt: run.attempt, steps, ...extra };
}

describe('POST /runner/progress', () => {
  it('upserts steps, moves a dispatched run to running, and records the heartbeat', async () => {
    const h = await harness();
    const run = await h.seedRun();
    const { progressToken } = h.mint(run);
    const startedAt = new Date(h.clock.now()).toISOString();
    const first = await h.post('/runner/progress', progressToken, progress(run, [{ id: 'checkout', type: 'git.checkout', status: 'running' }], { plannedSteps: PLANNED }));
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ runId: run.id, attempt: 1, status: 'running', stepsRecorded: 1 });
    h.clock.advance(2_000);
    const second = await h.post(
      '/runner/progress',
      progressToken,
      progress(run, [
        { id: 'checkout', type: 'git.checkout', status: 'passed', finishedAt: new Date(h.clock.now()).toISOString() },
        { id: 'agent', type: 'agent.run', status: 'running', logExcerpt: `using ${MAPPING_SECRET}` },
      ]),
    );
    expect(second.status).toBe(200);
    const steps = await h.store.runs.listSteps(run.id);
    expect(steps.map((s) => [s.id, s.status])).toEqual([
      ['checkout', 'passed'],
      ['agent', 'running'],
    ]);
    expect(steps[1]?.logExcerpt).toBe('using [REDACTED]');
    const stored = await h.store.runs.getRun(run.id);
    expect(stored).toMatchObject({ status: 'running', startedAt, heartbeatAt: new Date(h.clock.now()).toISOString() });
  });

  it('cleans step titles and log tails on arrival, so the ticket checklist and the panel show plain text', async () => {
    const h = await harness();
    const run = await h.seedRun();
    const planned = [{ id: 'agent', type: 'agent.run', title: '\x1b[1m\x1b[32mImplement\x1b[0m\r\n it' }];
    const steps = [{ id: 'agent', type: 'agent.run', status: 'running', title: `key ${MAPPING_SECRET}\x07`, logExcerpt: '\x1b[32m✓\x1b[0m done\r\n' }];
    expect((await h.post('/runner/progress', h.mint(run).progressToken, progress(run, steps, { plannedSteps: planned }))).status).toBe(200);
    expect((await h.store.runs.listSteps(run.id))[0]?.logExcerpt).toBe('✓ done\n');
    const comment = h.linear.commentsOf(run.issueId)[0]?.body ?? '';
    expect(comment).toContain('- ⏳ Implement it');
    expect(comment).not.toContain('\x1b');
  });

  it('answers 429 with Retry-After to the 121st report in a minute, and accepts again after the window', async () => {
    const h = await harness();
    const run = await h.seedRun();
    const { progressToken } = h.mint(run);
    for (let i = 0; i < 120; i++) {
      const res = await h.post('/runner/progress', progressToken, progress(run, []));
      expect(res.status).toBe(200);
      if (i % 40 === 39) h.clock.advance(10_000);
    }
    const limited = await h.post('/runner/progress', progressToken, progress(run, []));
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({ error: 'rate_limited' });
    // The oldest reports are 30 s old, so the window frees slots in 30 s.
    expect(limited.headers.get('retry-after')).toBe('30');
    // Another run has its own budget.
    const other = await h.seedRun();
    expect((await h.post('/runner/progress', h.mint(other).progressToken, progress(other, []))).status).toBe(200);
    h.clock.advance(29_000);
    expect((await h.post('/runner/progress', progressToken, progress(run, []))).status).toBe(429);
    h.clock.advance(1_000);
    expect((await h.post('/runner/progress', progressToken, progress(run, []))).status).toBe(200);
  });

  it('keeps one status comment per run, edited in place at most every 5 s, and writes the final state with the PR link', async () => {
    const h = await harness();
    const run = await h.seedRun();
    const { progressToken, resultToken } = h.mint(run);
    const report = async (steps: unknown[], extra: Record<string, unknown> = {}) =>
      expect((await h.post('/runner/progress', progressToken, progress(run, steps, extra))).status).toBe(200);

    await report([{ id: 'checkout', type: 'git.checkout', status: 'running' }], { plannedSteps: PLANNED });
    let comments = h.linear.commentsOf(run.issueId);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.key).toBe(`run-status:${run.id}`);
    expect(comments[0]?.body).toContain('- ⏳ Check out\n- ⬜ Implement\n- ⬜ Open the pull request');

    h.clock.advance(2_000);
    await report([{ id: 'checkout', type: 'git.checkout', status: 'passed' }]);
    expect(h.linear.countCalls('ensureComment')).toBe(1);
    expect(h.linear.commentsOf(run.issueId)[0]?.edits).toBe(0);

    h.clock.advance(3_000);
    await report([{ id: 'agent', type: 'agent.run', status: 'running' }]);
    comments = h.linear.commentsOf(run.issueId);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.edits).toBe(1);
    expect(comments[0]?.body).toContain('- ✅ Check out\n- ⏳ Implement\n- ⬜ Open the pull request');
    expect(comments[0]?.body).toContain('**⏳ Running** · 5s');

    // A result one second later is written whatever the throttle says.
    h.clock.advance(1_000);
    await report([
      { id: 'agent', type: 'agent.run', status: 'passed' },
      { id: 'pr', type: 'github.pr', status: 'passed' },
    ]);
    expect((await h.post('/runner/result', resultToken, resultBody(run))).status).toBe(200);
    comments = h.linear.commentsOf(run.issueId);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.edits).toBe(2);
    expect(comments[0]?.body).toContain('- ✅ Check out\n- ✅ Implement\n- ✅ Open the pull request');
    expect(comments[0]?.body).toContain('**✅ Succeeded** · 6s');
    expect(comments[0]?.body).toContain('Pull request: https://github.com/acme/app/pull/7');

    // After the result, progress is refused: the run is over.
    const late = await h.post('/runner/progress', progressToken, progress(run, []));
    expect(late.status).toBe(409);
    expect(await late.json()).toMatchObject({ error: 'run_finished' });
  });

  it('still records progress when the status comment cannot be written, and says so', async () => {
    const h = await harness();
    const run = await h.seedRun();
    h.linear.failNext('ensureComment');
    const res = await h.post('/runner/progress', h.mint(run).progressToken, progress(run, [{ id: 'a', type: 'x', status: 'running' }]));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { warnings: string[] }).warnings[0]).toContain('status comment not updated');
    expect(await h.store.runs.listSteps(run.id)).toHaveLength(1);
    // The failed write does not hold the throttle: the next report writes at once.
    expect((await h.post('/runner/progress', h.mint(run).progressToken, progress(run, []))).status).toBe(200);
    expect(h.linear.commentsOf(run.issueId)).toHaveLength(1);
  });

  it('refuses a result token (401 wrong_audience), a bad body (400), and a body over 64 KiB (413)', async () => {
    const h = await harness();
    const run = await h.seedRun();
    const { progressToken, resultToken } = h.mint(run);
    const wrong = await h.post('/runner/progress', resultToken, progress(run, []));
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'wrong_audience' });
    const bad = await h.post('/runner/progress', progressToken, progress(run, [{ id: 'a', type: 'x', status: 'exploded' }]));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'invalid_body', field: 'steps.0.status' });
    const big = await h.post('/runner/progress', progressToken, progress(run, [{ id: 'a', type: 'x', status: 'running', logExcerpt: 'x'.repeat(70 * 1024) }]));
    expect(big.status).toBe(413);
    expect(await h.store.runs.listSteps(run.id)).toEqual([]);
  });
});
