import { describe, expect, it } from 'vitest';
import { pullRequestUrlProblem } from '../../src/domain/pull-request-url.js';
import { resultBody, useHarnesses } from './support/runner-harness.js';

const harness = useHarnesses();

/**
 * A result's `prUrl` becomes a link on the ticket and in the panels. The
 * seeded run belongs to acme/app on https://github.com (the harness's GitHub).
 */
describe('POST /runner/result refuses a prUrl that is not the run’s pull request', () => {
  it.each([
    ['a javascript: URL', 'javascript:alert(document.cookie)//https://github.com/acme/app/pull/7'],
    ['a data: URL', 'data:text/html,<script>alert(1)</script>'],
    ['plain http off loopback', 'http://github.com/acme/app/pull/7'],
    ['another host', 'https://evil.example/acme/app/pull/7'],
    ['credentials hiding another host', 'https://github.com@evil.example/acme/app/pull/7'],
    ['another repository', 'https://github.com/someone/else/pull/7'],
    ['not a pull request', 'https://github.com/acme/app/issues/7'],
    ['another number than prNumber', 'https://github.com/acme/app/pull/8'],
  ])('%s: 400 naming prUrl, and nothing changes (the token still works)', async (_what, prUrl) => {
    const h = await harness();
    const run = await h.seedRun();
    const { resultToken } = h.mint(run);

    const refused = await h.post('/runner/result', resultToken, resultBody(run, { prUrl }));
    expect(refused.status).toBe(400);
    const answer = (await refused.json()) as { error: string; field: string; message: string };
    expect(answer).toMatchObject({ error: 'invalid_body', field: 'prUrl' });
    expect(answer.message).toContain('prUrl');
    expect(await h.store.runs.getRun(run.id)).toMatchObject({ status: 'launching' });
    expect((await h.store.runs.getRun(run.id))?.prUrl).toBeUndefined();
    expect(h.linear.commentsOf(run.issueId)).toHaveLength(0);

    // The refusal spent nothing: the same token carries the corrected result.
    const ok = await h.post('/runner/result', resultToken, resultBody(run));
    expect(ok.status).toBe(200);
    expect(await h.store.runs.getRun(run.id)).toMatchObject({ status: 'pr_opened', prUrl: 'https://github.com/acme/app/pull/7' });
  });
});

describe('pullRequestUrlProblem', () => {
  const expected = { webUrl: 'https://github.com', repository: { owner: 'acme', repo: 'app' } };

  it('accepts the run’s pull request, in any letter case of owner and repository', () => {
    expect(pullRequestUrlProblem('https://github.com/acme/app/pull/7', expected)).toBeUndefined();
    expect(pullRequestUrlProblem('https://github.com/Acme/App/pull/7', { ...expected, prNumber: 7 })).toBeUndefined();
  });

  it('allows plain http only on loopback (the emulator, a local GHE)', () => {
    const local = { webUrl: 'http://127.0.0.1:4010', repository: { owner: 'acme', repo: 'app' } };
    expect(pullRequestUrlProblem('http://127.0.0.1:4010/acme/app/pull/3', local)).toBeUndefined();
    expect(pullRequestUrlProblem('http://127.0.0.1:4011/acme/app/pull/3', local)).toContain('configured GitHub host');
    expect(pullRequestUrlProblem('http://ghe.example/acme/app/pull/3', { ...local, webUrl: 'http://ghe.example' })).toContain('https:');
  });
});
