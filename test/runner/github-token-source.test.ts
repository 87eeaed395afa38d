import { describe, expect, it } from 'vitest';
import type { GitHubTokenGrant } from '../../src/domain/runner-protocol.js';
import { createGitHubTokenSource, GitHubTokenRefreshError } from '../../src/runner/github-token-source.js';
import { OrchestratorHttpError } from '../../src/runner/orchestrator-client.js';
import { createRunnerLog } from '../../src/runner/runner-log.js';

const START = Date.parse('2025-06-01T12:00:00.000Z');
const MINUTE = 60_000;

/** A runner-side world: a settable clock, a scripted orchestrator, and the log lines as written. */
function world(answers: Array<GitHubTokenGrant | Error> = []) {
  let nowMs = START;
  const lines: string[] = [];
  const sleeps: number[] = [];
  const calls: number[] = [];
  const log = createRunnerLog((line) => lines.push(line));
  const refresh = async (): Promise<GitHubTokenGrant> => {
    calls.push(nowMs);
    const next = answers.shift();
    if (!next) throw new Error('no scripted answer left');
    if (next instanceof Error) throw next;
    return next;
  };
  const source = createGitHubTokenSource({
    token: 'ghs_first_token_0001',
    expiresAt: new Date(START + 60 * MINUTE).toISOString(),
    refresh,
    now: () => new Date(nowMs),
    log,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  return { source, log, lines, sleeps, calls, advance: (ms: number) => (nowMs += ms), at: (minutes: number) => new Date(START + minutes * MINUTE).toISOString() };
}

const grant = (token: string, expiresAt: string): GitHubTokenGrant => ({ token, expiresAt });

describe('the runner’s GitHub token source', () => {
  it('keeps the job’s token until ten minutes before it expires, then swaps in a fresh one, scrubbing both', async () => {
    const fresh = world([grant('ghs_second_token_0002', new Date(START + 110 * MINUTE).toISOString())]);
    expect(await fresh.source.current()).toBe('ghs_first_token_0001');
    fresh.advance(49 * MINUTE);
    expect(await fresh.source.current()).toBe('ghs_first_token_0001');
    expect(fresh.calls).toEqual([]);
    fresh.advance(2 * MINUTE);
    expect(await fresh.source.current()).toBe('ghs_second_token_0002');
    expect(await fresh.source.current()).toBe('ghs_second_token_0002');
    expect(fresh.calls).toHaveLength(1);
    fresh.log.info('tokens ghs_first_token_0001 and ghs_second_token_0002');
    expect(fresh.lines.at(-1)).toBe('[ai-implement] info tokens *** and ***');
  });

  it('asks once however many calls wait for the refresh', async () => {
    const w = world([grant('ghs_second_token_0002', new Date(START + 120 * MINUTE).toISOString())]);
    w.advance(55 * MINUTE);
    const tokens = await Promise.all([w.source.current(), w.source.current(), w.source.current()]);
    expect(tokens).toEqual(['ghs_second_token_0002', 'ghs_second_token_0002', 'ghs_second_token_0002']);
    expect(w.calls).toHaveLength(1);
  });

  it('retries an unreachable or failing orchestrator with back-off', async () => {
    const w = world([new OrchestratorHttpError('POST /runner/token: fetch failed', undefined), new OrchestratorHttpError('POST /runner/token: HTTP 503', 503), grant('ghs_second_token_0002', new Date(START + 120 * MINUTE).toISOString())]);
    w.advance(70 * MINUTE);
    expect(await w.source.current()).toBe('ghs_second_token_0002');
    expect(w.calls).toHaveLength(3);
    expect(w.sleeps).toHaveLength(2);
    expect(w.sleeps[1]!).toBeGreaterThan(w.sleeps[0]!);
    expect(w.lines.filter((l) => l.includes('GitHub token refresh failed, retrying'))).toHaveLength(2);
  });

  it('fails with a clear reason once retries run out and the token has expired', async () => {
    const down = () => new OrchestratorHttpError('POST /runner/token: HTTP 503 maintenance', 503);
    const w = world([down(), down(), down(), down(), down()]);
    w.advance(61 * MINUTE);
    const error = await w.source.current().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitHubTokenRefreshError);
    expect((error as Error).message).toBe(`could not get a fresh GitHub token (the current one expired at ${w.at(60)}): POST /runner/token: HTTP 503 maintenance`);
    expect(w.calls).toHaveLength(5);
  });

  it('keeps using a token that still has minutes left when the orchestrator stays down, and asks again on the next call', async () => {
    const down = () => new OrchestratorHttpError('POST /runner/token: fetch failed', undefined);
    const w = world([down(), down(), down(), down(), down(), grant('ghs_second_token_0002', new Date(START + 120 * MINUTE).toISOString())]);
    w.advance(52 * MINUTE);
    expect(await w.source.current()).toBe('ghs_first_token_0001');
    expect(w.lines.some((l) => l.includes('using the current one while it lasts'))).toBe(true);
    expect(await w.source.current()).toBe('ghs_second_token_0002');
  });

  it('gives up at once when the orchestrator refuses (409: the run is over), whatever the token has left', async () => {
    const w = world([new OrchestratorHttpError('POST /runner/token: HTTP 409 {"error":"run_finished"}', 409)]);
    w.advance(52 * MINUTE);
    const error = await w.source.current().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitHubTokenRefreshError);
    expect((error as Error).message).toContain('HTTP 409');
    expect(w.calls).toHaveLength(1);
    expect(w.sleeps).toEqual([]);
  });

  it('uses the job’s token as it is when the server did not say when it expires (an older orchestrator)', async () => {
    const calls: number[] = [];
    const source = createGitHubTokenSource({
      token: 'ghs_first_token_0001',
      refresh: async () => {
        calls.push(1);
        return grant('x', 'y');
      },
      now: () => new Date(START + 300 * MINUTE),
      log: createRunnerLog(() => undefined),
    });
    expect(await source.current()).toBe('ghs_first_token_0001');
    expect(calls).toEqual([]);
  });
});
