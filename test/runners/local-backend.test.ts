import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ExternalServiceError } from '../../src/errors/index.js';
import { createLocalBackend, type LocalBackendOptions, type LocalRunnerBackend } from '../../src/runners/local/create-local-backend.js';
import { OutputTail, summariseExit } from '../../src/runners/local/output-tail.js';
import { createTestLogger } from '../support/test-logger.js';
import { dispatchRequest, testMapping } from './support/runner-fixtures.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/fake-runner.ts', import.meta.url));
const mapping = testMapping({ executionMode: 'local' });
const started: LocalRunnerBackend[] = [];

function localBackend(options: Partial<LocalBackendOptions> = {}): LocalRunnerBackend {
  const backend = createLocalBackend({ command: [process.execPath, '--import', 'tsx', FIXTURE], killGraceMs: 300, ...options });
  started.push(backend);
  return backend;
}

function request(runId: string, env: Record<string, string> = {}, deadlineInMs = 60_000) {
  return dispatchRequest(runId, mapping, {
    env: { AI_IMPLEMENT_RUN_ID: runId, AI_IMPLEMENT_ATTEMPT: '1', ...env },
    deadlineAt: new Date(Date.now() + deadlineInMs).toISOString(),
  });
}

async function until(predicate: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('local backend with a fixture runner', () => {
  afterAll(async () => {
    for (const backend of started) for (const live of await backend.listLive()) await backend.cancel(live.upstreamId, mapping);
  });

  it('runs the child with the run env and without the server environment, and keeps its output tail', async () => {
    process.env.SERVER_ONLY_SECRET = 'do-not-leak';
    const { log, lines } = createTestLogger();
    const backend = localBackend({ log });
    const upstream = await backend.dispatch(request('run_local_1'));
    delete process.env.SERVER_ONLY_SECRET;
    expect(upstream.upstreamId).toMatch(/^local-\d+-run_local_1$/);
    expect(upstream.state).toBe('running');

    await until(async () => (await backend.find('run_local_1', mapping))?.state === 'succeeded');
    const tail = backend.outputTail('run_local_1') ?? '';
    expect(tail).toContain('run run_local_1 attempt 1');
    expect(tail).toContain('server-secret absent');
    expect(tail).toContain('stderr line for run_local_1');
    expect(lines.some((l) => l.includes('local runner exited') && l.includes('run_local_1'))).toBe(true);
    expect(await backend.listLive()).toEqual([]);
  });

  it('sums a long output up in one line of the orchestrator log; the output itself stays with the run', async () => {
    const { log, lines } = createTestLogger();
    const backend = localBackend({ log, tailBytes: 64 * 1024 });
    await backend.dispatch(request('run_local_long', { FAKE_OUTPUT_LINES: '300' }));
    await until(async () => (await backend.find('run_local_long', mapping))?.state === 'succeeded');
    const tail = backend.outputTail('run_local_long') ?? '';
    expect(Buffer.byteLength(tail)).toBeGreaterThan(20_000);
    const exited = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'local runner exited');
    expect(exited).toMatchObject({ runId: 'run_local_long', code: 0, lines: 305 });
    const summary = String(exited?.summary);
    expect(summary).toMatch(/^code 0, 305 lines, last: verdict: all 300 checks passed and this verdict line/);
    expect(summary.length).toBeLessThanOrEqual(200);
    expect(summary.endsWith('…')).toBe(true);
    // The whole exit line, metadata and all, is a line and not the output.
    expect(lines.find((l) => l.includes('local runner exited'))!.length).toBeLessThan(600);
    expect(lines.find((l) => l.includes('local runner exited'))).not.toContain('output line 1 of 300');
  });

  it('hands the child its mapping secrets through its environment only', async () => {
    const backend = localBackend();
    await backend.dispatch({ ...request('run_local_secret', { AI_IMPLEMENT_SECRET_NAMES: 'MY_API_KEY' }), secrets: { MY_API_KEY: 'broker-value-77' } });
    await until(async () => (await backend.find('run_local_secret', mapping))?.state === 'succeeded');
    expect(backend.outputTail('run_local_secret')).toContain('broker-secret present names MY_API_KEY');
    // Without secrets in the request the child has none.
    await backend.dispatch(request('run_local_nosecret'));
    await until(async () => (await backend.find('run_local_nosecret', mapping))?.state === 'succeeded');
    expect(backend.outputTail('run_local_nosecret')).toContain('broker-secret absent names -');
  });

  it('records a non-zero exit as failed', async () => {
    const backend = localBackend();
    await backend.dispatch(request('run_local_fail', { FAKE_EXIT_CODE: '3' }));
    await until(async () => (await backend.find('run_local_fail', mapping))?.state === 'failed');
  });

  it('kills a child at its deadline, with SIGKILL when SIGTERM is ignored', async () => {
    const backend = localBackend();
    const startedAt = Date.now();
    await backend.dispatch(request('run_local_deadline', { FAKE_SLEEP_MS: '30000', FAKE_IGNORE_SIGTERM: '1' }, 1_000));
    await until(async () => (await backend.find('run_local_deadline', mapping))?.state === 'failed', 15_000);
    const elapsed = Date.now() - startedAt;
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(10_000);
    expect(backend.outputTail('run_local_deadline')).toContain('ignoring SIGTERM');
  });

  it('bounds concurrency: waits for a slot, then refuses when the queue is full', async () => {
    const backend = localBackend({ maxConcurrent: 2, maxQueued: 1 });
    const slow = { FAKE_SLEEP_MS: '1500' };
    const first = await backend.dispatch(request('run_c1', slow));
    await backend.dispatch(request('run_c2', slow));
    const third = backend.dispatch(request('run_c3', slow));
    const refused = await backend.dispatch(request('run_c4', slow)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ExternalServiceError);
    expect(refused).toMatchObject({ status: 429, retryable: true });
    expect(await backend.find('run_c4', mapping)).toBeUndefined();

    const live = await backend.listLive();
    expect(live.filter((r) => r.state === 'running').map((r) => r.runId).sort()).toEqual(['run_c1', 'run_c2']);
    expect(live.find((r) => r.runId === 'run_c3')?.state).toBe('pending');

    await backend.cancel(first.upstreamId, mapping);
    const thirdStarted = await third;
    expect(thirdStarted.state).toBe('running');
    expect((await backend.find('run_c1', mapping))?.state).toBe('cancelled');
    expect((await backend.listLive()).filter((r) => r.state === 'running')).toHaveLength(2);
  });

  it('refuses cleanly when the command cannot start', async () => {
    const backend = createLocalBackend({ command: ['/nonexistent/runner-cli'] });
    const refused = await backend.dispatch(request('run_enoent')).catch((e: unknown) => e);
    expect(refused).toMatchObject({ service: 'local', status: 503, retryable: false });
    expect((await backend.find('run_enoent', mapping))?.state).toBe('failed');
  });
});

describe('summariseExit', () => {
  it('counts every line although the tail keeps only the last bytes, and cuts the last line to fit', () => {
    const tail = new OutputTail(1024);
    for (let n = 1; n <= 312; n++) tail.write(`line ${n} ${'y'.repeat(40)}\n`);
    tail.write('\n  \n');
    tail.write(`done: ${'z'.repeat(400)}`);
    tail.end();
    expect(Buffer.byteLength(tail.text())).toBeLessThanOrEqual(1024 + 500);
    const summary = summariseExit({ code: 0, signal: null }, tail);
    expect(summary).toMatch(/^code 0, 315 lines, last: done: z+…$/);
    expect(summary).toHaveLength(200);
    expect(summariseExit({ code: null, signal: 'SIGKILL' }, new OutputTail())).toBe('signal SIGKILL, 0 lines');
  });
});
