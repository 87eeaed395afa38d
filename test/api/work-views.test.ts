import { describe, expect, it } from 'vitest';
import { buildBlockersView, buildIssuesView, buildPullsView, numberOfPullUrl, pullStatusOf, repoOfPullUrl } from '../../src/admin/work-views.js';
import { parseMapping } from '../../src/domain/mapping-schema.js';
import type { Blocker } from '../../src/domain/plan-dispatch.js';
import type { Run } from '../../src/domain/run.js';
import type { WorkItem } from '../../src/domain/work-item.js';
import type { IntakeCycleResult } from '../../src/orchestrator/intake-cycle.js';

const AT = '2025-06-01T12:00:00.000Z';

function run(over: Partial<Run>): Run {
  return {
    id: 'r1', issueId: 'i1', identifier: 'ENG-1', tracker: 'linear', mappingKey: 'ENG', phase: 'implement', status: 'succeeded', attempt: 1, dispatchNumber: 1,
    backend: 'github-actions', runnerMode: 'default', triggerSource: 'poll', createdAt: AT, updatedAt: AT, ...over,
  };
}

function item(over: Partial<WorkItem>): WorkItem {
  return {
    tracker: 'linear', id: 'i1', identifier: 'ENG-1', title: 'T', description: '', url: 'https://linear.app/x/issue/ENG-1', lifecycle: 'unstarted', stateName: 'Todo',
    labels: [], markers: [], teamKey: 'ENG', blockedBy: [], createdAt: AT, updatedAt: AT, ...over,
  };
}

function cycle(candidates: IntakeCycleResult['candidates'], blockers: Blocker[] = []): IntakeCycleResult {
  return { at: AT, plan: { starts: [], blockers }, started: [], errors: [], candidates };
}

describe('work views', () => {
  it('maps a PR’s latest run to running, completed, failed or review_failed', () => {
    expect(pullStatusOf(run({ status: 'running' }))).toBe('running');
    expect(pullStatusOf(run({ status: 'queued' }))).toBe('running');
    expect(pullStatusOf(run({ status: 'succeeded' }))).toBe('completed');
    expect(pullStatusOf(run({ status: 'failed' }))).toBe('failed');
    expect(pullStatusOf(run({ status: 'failed', phase: 'review-feedback' }))).toBe('review_failed');
    expect(pullStatusOf(run({ status: 'failed', phase: 'gap-fill' }))).toBe('review_failed');
    expect(repoOfPullUrl('https://github.com/acme/web/pull/12')).toBe('acme/web');
    expect(repoOfPullUrl('https://ghe.example.com/acme/web/pull/12/')).toBe('acme/web');
    expect(repoOfPullUrl('https://github.com/acme/web/issues/12')).toBeUndefined();
  });

  it('groups runs by PR, counts iterations and takes the newest run for status and age', () => {
    const pr = 'https://github.com/acme/web/pull/3';
    const runs = [
      run({ id: 'r3', prUrl: pr, phase: 'review-feedback', status: 'failed', dispatchNumber: 1, createdAt: '2025-06-01T11:00:00.000Z' }),
      run({ id: 'r2', prUrl: pr, dispatchNumber: 2, createdAt: '2025-06-01T10:00:00.000Z' }),
      run({ id: 'r1', prUrl: pr, dispatchNumber: 1, createdAt: '2025-06-01T09:00:00.000Z' }),
      run({ id: 'shadow', prUrl: 'https://github.com/acme/web/pull/4', shadowOf: 'r1' }),
      run({ id: 'nopr' }),
    ];
    const rows = buildPullsView(runs, cycle([{ item: item({}), mappingKeys: ['ENG'] }]), Date.parse(AT));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ prUrl: pr, repo: 'acme/web', status: 'review_failed', iterations: 3, latestRunId: 'r3', sinceLastDispatchMs: 3_600_000, issueUrl: 'https://linear.app/x/issue/ENG-1' });
  });

  it('lists matched candidates with readiness and skips unmatched ones', () => {
    const planning = parseMapping({ teamKey: 'ENG', owner: 'a', repo: 'b', defaultBranch: 'main', planningEnabled: true, maxInProgressAiIssues: 4 }, AT);
    if (!planning.ok) throw new Error('bad mapping');
    const view = buildIssuesView(
      cycle([
        { item: item({ id: 'a', identifier: 'ENG-1', lifecycle: 'started' }), mappingKeys: ['ENG'] },
        { item: item({ id: 'b', identifier: 'ENG-2', markers: ['planning'] }), mappingKeys: ['ENG'] },
        { item: item({ id: 'c', identifier: 'ENG-3', markers: ['plan-complete'], lifecycle: 'canceled' }), mappingKeys: ['ENG'] },
        { item: item({ id: 'd', identifier: 'OPS-1', teamKey: 'OPS' }), mappingKeys: [] },
      ]),
      [planning.mapping],
      { ENG: 2, GONE: 1 },
    );
    expect(view.issues.map((r) => [r.identifier, r.state, r.readiness])).toEqual([
      ['ENG-1', 'started', 'needs-planning'],
      ['ENG-2', 'unstarted', 'planning-pending'],
      ['ENG-3', 'cancelled', 'ready-for-implementation'],
    ]);
    expect(view.inProgressByMapping).toEqual([
      { mappingKey: 'ENG', inProgress: 2, cap: 4, paused: false },
      { mappingKey: 'GONE', inProgress: 1, cap: 0, paused: false },
    ]);
    expect(buildIssuesView(undefined, [], {})).toEqual({ cycleAt: null, issues: [], inProgressByMapping: [] });
  });

  it('adds the tickets of recent runs that the poll no longer returns, and each ticket’s latest run', () => {
    const eng = parseMapping({ teamKey: 'ENG', owner: 'a', repo: 'b', defaultBranch: 'main' }, AT);
    if (!eng.ok) throw new Error('bad mapping');
    const pr = 'https://github.com/a/b/pull/5';
    const runs = [
      run({ id: 'live', issueId: 'a', identifier: 'ENG-1', status: 'running' }),
      run({ id: 'shadow', issueId: 'gone', identifier: 'ENG-9', status: 'failed', shadowOf: 'done' }),
      run({ id: 'done', issueId: 'gone', identifier: 'ENG-9', title: 'Shipped', status: 'succeeded', prUrl: pr }),
      run({ id: 'bad', issueId: 'broke', identifier: 'ENG-8', status: 'failed' }),
      run({ id: 'stop', issueId: 'halt', identifier: 'ENG-7', status: 'cancelled' }),
      run({ id: 'older', issueId: 'a', identifier: 'ENG-1', status: 'failed' }),
      run({ id: 'orphan', issueId: 'd', identifier: 'OPS-1', status: 'failed' }),
    ];
    const view = buildIssuesView(
      cycle([
        { item: item({ id: 'a', identifier: 'ENG-1' }), mappingKeys: ['ENG'] },
        { item: item({ id: 'd', identifier: 'OPS-1', teamKey: 'OPS' }), mappingKeys: [] },
      ]),
      [eng.mapping],
      {},
      runs,
    );
    expect(view.issues.map((r) => [r.identifier, r.source, r.state, r.readiness, r.progress ?? null, r.lastRun?.id])).toEqual([
      ['ENG-1', 'tracker', 'unstarted', 'ready-for-implementation', 'in-progress', 'live'],
      // The shadow leg never stands for its ticket; the primary run does.
      ['ENG-9', 'history', 'completed', null, 'done', 'done'],
      ['ENG-8', 'history', 'started', null, 'needs-attention', 'bad'],
      ['ENG-7', 'history', 'cancelled', null, 'needs-attention', 'stop'],
    ]);
    expect(view.issues[1]).toMatchObject({ title: 'Shipped', stateName: 'pull request open', mappingKeys: ['ENG'], lastRun: { prUrl: pr } });
    expect(view.issues[1]!.url).toBeUndefined();
    // Before the first poll the ledger is all there is.
    expect(buildIssuesView(undefined, [eng.mapping], {}, runs).issues.map((r) => r.identifier)).toEqual(['ENG-1', 'ENG-9', 'ENG-8', 'ENG-7', 'OPS-1']);
  });

  it('counts a follow-up run that recorded no PR URL on its ticket’s PR, never an unrelated run', () => {
    const pr = 'https://ghe.example.com/acme/web/pull/3';
    const other = 'https://ghe.example.com/acme/web/pull/4';
    const runs = [
      run({ id: 'r4', phase: 'gap-fill', status: 'running', prNumber: 4, dispatchNumber: 1, createdAt: '2025-06-01T11:30:00.000Z' }),
      run({ id: 'r3', phase: 'review-feedback', status: 'failed', dispatchNumber: 1, createdAt: '2025-06-01T11:00:00.000Z' }),
      run({ id: 'r2', phase: 'implement', status: 'failed', dispatchNumber: 2, createdAt: '2025-06-01T10:30:00.000Z' }),
      run({ id: 'r1', prUrl: pr, title: 'Add the thing', dispatchNumber: 1, createdAt: '2025-06-01T10:00:00.000Z' }),
      run({ id: 'x1', issueId: 'i2', identifier: 'ENG-2', prUrl: other, prNumber: 4, createdAt: '2025-06-01T09:00:00.000Z' }),
    ];
    const mapping = parseMapping({ teamKey: 'ENG', owner: 'acme', repo: 'web', defaultBranch: 'main' }, AT);
    if (!mapping.ok) throw new Error('bad mapping');
    const rows = buildPullsView(runs, undefined, Date.parse(AT), [mapping.mapping]);
    // r4 names PR #4, which ENG-1 never had: it is not counted on #3 (nor on ENG-2's #4). r2 is an implement run without a PR.
    expect(rows.map((r) => [r.prUrl, r.latestRunId, r.status, r.iterations, r.prNumber, r.repo, r.title])).toEqual([
      [pr, 'r3', 'review_failed', 2, 3, 'acme/web', 'Add the thing'],
      [other, 'x1', 'completed', 1, 4, 'acme/web', ''],
    ]);
    expect(numberOfPullUrl('https://github.com/acme/web/pull/12/')).toBe(12);
    expect(numberOfPullUrl('https://github.com/acme/web/issues/12')).toBeUndefined();
    // A URL we cannot read takes the repository from the run's mapping.
    expect(buildPullsView([run({ prUrl: 'https://git.example.com/pr/9' })], undefined, Date.parse(AT), [mapping.mapping])[0]).toMatchObject({ repo: 'acme/web' });
  });

  it('counts blockers by reason and distinct teams', () => {
    const blocker = (identifier: string, reason: Blocker['reason'], mappingKey?: string): Blocker => ({
      issueId: identifier, identifier, title: identifier, url: `https://t/${identifier}`, tracker: 'linear', teamKey: identifier.split('-')[0]!, reason, detail: 'd', ...(mappingKey ? { mappingKey } : {}),
    });
    const view = buildBlockersView(cycle([], [blocker('ENG-1', 'concurrency', 'ENG'), blocker('ENG-2', 'dedup', 'ENG'), blocker('OPS-1', 'dedup', 'OPS'), blocker('NOM-1', 'no-mapping')]));
    expect(view.kpis).toEqual({ total: 4, teamsAffected: 3, byConcurrency: 1, byDedup: 2, byReason: { concurrency: 1, dedup: 2, 'no-mapping': 1 } });
    expect(view.blockers[3]).toMatchObject({ mapping: null, explanation: expect.stringContaining('No project mapping') });
  });
});
