import { describe, expect, it } from 'vitest';
import type { DedupEntry } from '../../src/domain/dedup-entry.js';
import type { Mapping } from '../../src/domain/mapping.js';
import { planDispatch, type PlanCandidate, type PlanPolicy } from '../../src/domain/plan-dispatch.js';
import type { Run } from '../../src/domain/run.js';
import type { WorkItem } from '../../src/domain/work-item.js';
import { parseMapping } from '../../src/domain/mapping-schema.js';

const NOW = Date.parse('2026-01-10T12:00:00Z');
const policy: PlanPolicy = { retryLimit: 2, runnerMode: 'default', triggerSource: 'poll' };

function mapping(teamKey: string, overrides: Record<string, unknown> = {}): Mapping {
  const parsed = parseMapping({ teamKey, owner: 'acme', repo: teamKey.toLowerCase(), defaultBranch: 'main', ...overrides }, new Date(NOW).toISOString());
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.mapping;
}

let seq = 0;
function item(teamKey: string, overrides: Partial<WorkItem> = {}): WorkItem {
  seq += 1;
  return {
    tracker: 'linear',
    id: `id-${teamKey}-${seq}`,
    identifier: `${teamKey}-${seq}`,
    title: `Ticket ${seq}`,
    description: '',
    url: `https://linear.test/${teamKey}-${seq}`,
    lifecycle: 'unstarted',
    stateName: 'Todo',
    labels: ['AI-Implement'],
    markers: [],
    teamKey,
    blockedBy: [],
    createdAt: new Date(NOW - 3_600_000 + seq * 1000).toISOString(),
    updatedAt: new Date(NOW).toISOString(),
    ...overrides,
  };
}

function run(issueId: string, mappingKey: string, overrides: Partial<Run> = {}): Run {
  return {
    id: `run-${issueId}`,
    issueId,
    identifier: issueId,
    tracker: 'linear',
    mappingKey,
    phase: 'implement',
    status: 'running',
    attempt: 1,
    dispatchNumber: 1,
    backend: 'github-actions',
    runnerMode: 'default',
    triggerSource: 'poll',
    createdAt: new Date(NOW).toISOString(),
    updatedAt: new Date(NOW).toISOString(),
    ...overrides,
  };
}

const candidates = (...items: [WorkItem, string[]][]): PlanCandidate[] => items.map(([i, keys]) => ({ item: i, mappingKeys: keys }));
const noDedup = new Map<string, DedupEntry>();

describe('planDispatch', () => {
  it('starts eligible tickets on their mapping’s backend, oldest first', () => {
    const eng = mapping('ENG');
    const a = item('ENG');
    const b = item('ENG');
    const plan = planDispatch({ candidates: candidates([b, ['ENG']], [a, ['ENG']]), mappings: [eng] }, { activeRuns: [], dedup: noDedup, now: NOW }, policy);
    expect(plan.starts.map((s) => [s.item.identifier, s.phase, s.backend, s.dispatchNumber])).toEqual([
      [a.identifier, 'implement', 'github-actions', 1],
      [b.identifier, 'implement', 'github-actions', 1],
    ]);
    expect(plan.blockers).toEqual([]);
  });

  it('gives every reason the planner knows, and no run, for each blocked ticket', () => {
    const eng = mapping('ENG', { maxInProgressAiIssues: 1 });
    const paused = mapping('OPS', { paused: true });
    const plan1 = mapping('PLN', { planningEnabled: true });
    const running = item('ENG');
    const overCap = item('ENG');
    const unmapped = item('XYZ');
    const inPaused = item('OPS');
    const blocked = item('PLN', { blockedBy: [{ id: 'x', identifier: 'PLN-99', lifecycle: 'started' }] });
    const deduped = item('PLN');
    const exhausted = item('PLN');
    const awaitingApproval = item('PLN', { markers: ['planning'] });
    const dedup = new Map<string, DedupEntry>([
      [deduped.id, { issueId: deduped.id, identifier: deduped.identifier, runId: 'r1', dispatchedAt: new Date(NOW - 60_000).toISOString(), expiresAt: new Date(NOW + 3_600_000).toISOString() }],
      [exhausted.id, { issueId: exhausted.id, identifier: exhausted.identifier, runId: 'r2', dispatchedAt: new Date(NOW - 60_000).toISOString(), expiresAt: new Date(NOW + 60_000).toISOString(), failures: 3 }],
    ]);
    const plan = planDispatch(
      {
        candidates: candidates([running, ['ENG']], [overCap, ['ENG']], [unmapped, []], [inPaused, ['OPS']], [blocked, ['PLN']], [deduped, ['PLN']], [exhausted, ['PLN']], [awaitingApproval, ['PLN']]),
        mappings: [eng, paused, plan1],
      },
      { activeRuns: [run(running.id, 'ENG')], dedup, now: NOW },
      policy,
    );
    expect(plan.starts).toEqual([]);
    const reasons = Object.fromEntries(plan.blockers.map((b) => [b.identifier, b.reason]));
    expect(reasons).toEqual({
      [overCap.identifier]: 'concurrency',
      [unmapped.identifier]: 'no-mapping',
      [inPaused.identifier]: 'paused',
      [blocked.identifier]: 'blocked-by-dependency',
      [deduped.identifier]: 'dedup',
      [exhausted.identifier]: 'retry-limit',
      [awaitingApproval.identifier]: 'planning-pending',
    });
    expect(plan.blockers.find((b) => b.reason === 'blocked-by-dependency')?.detail).toContain('PLN-99');
  });

  it('lets an expired dedup entry go and carries the next dispatch number as a retry', () => {
    const eng = mapping('ENG');
    const retried = item('ENG');
    const dedup = new Map<string, DedupEntry>([
      [retried.id, { issueId: retried.id, identifier: retried.identifier, runId: 'r1', dispatchedAt: new Date(NOW - 600_000).toISOString(), expiresAt: new Date(NOW - 1).toISOString(), failures: 1, dispatchNumber: 1 }],
    ]);
    const plan = planDispatch({ candidates: candidates([retried, ['ENG']]), mappings: [eng] }, { activeRuns: [], dedup, now: NOW }, policy);
    expect(plan.starts).toHaveLength(1);
    expect(plan.starts[0]).toMatchObject({ dispatchNumber: 2, triggerSource: 'retry' });
  });

  it('plans before implementing only when planning is enabled, and implementation wins short slots', () => {
    const pln = mapping('PLN', { planningEnabled: true, maxInProgressAiIssues: 1 });
    const needsPlan = item('PLN', { createdAt: '2020-01-01T00:00:00Z' });
    const approved = item('PLN', { markers: ['plan-complete'] });
    const plan = planDispatch({ candidates: candidates([needsPlan, ['PLN']], [approved, ['PLN']]), mappings: [pln] }, { activeRuns: [], dedup: noDedup, now: NOW }, policy);
    expect(plan.starts.map((s) => [s.item.identifier, s.phase])).toEqual([[approved.identifier, 'implement']]);
    expect(plan.blockers.map((b) => [b.identifier, b.reason])).toEqual([[needsPlan.identifier, 'concurrency']]);
  });

  it('holds a ticket by its dedup row only for the phase that row was written for', () => {
    const pln = mapping('PLN', { planningEnabled: true });
    const approved = item('PLN', { markers: ['planning', 'plan-complete'] });
    const waiting = item('PLN', { markers: ['planning'] });
    const implementing = item('PLN', { markers: ['plan-complete'] });
    const legacy = item('PLN', { markers: ['plan-complete'] });
    const row = (i: WorkItem, phase?: 'plan' | 'implement'): [string, DedupEntry] => [
      i.id,
      { issueId: i.id, identifier: i.identifier, runId: `r-${i.id}`, dispatchedAt: new Date(NOW - 3_600_000).toISOString(), expiresAt: new Date(NOW + 23 * 3_600_000).toISOString(), dispatchNumber: 1, ...(phase ? { phase } : {}) },
    ];
    const dedup = new Map<string, DedupEntry>([row(approved, 'plan'), row(waiting, 'plan'), row(implementing, 'implement'), row(legacy)]);
    const plan = planDispatch(
      { candidates: candidates([approved, ['PLN']], [waiting, ['PLN']], [implementing, ['PLN']], [legacy, ['PLN']]), mappings: [pln] },
      { activeRuns: [], dedup, now: NOW },
      policy,
    );
    expect(plan.starts.map((s) => [s.item.identifier, s.phase, s.dispatchNumber])).toEqual([[approved.identifier, 'implement', 2]]);
    expect(Object.fromEntries(plan.blockers.map((b) => [b.identifier, b.reason]))).toEqual({
      [waiting.identifier]: 'planning-pending',
      [implementing.identifier]: 'dedup',
      [legacy.identifier]: 'dedup',
    });
  });

  it('skips tickets with a live run or a PR waiting for review, and counts only primary runs against the cap', () => {
    const eng = mapping('ENG', { maxInProgressAiIssues: 1 });
    const withPr = item('ENG', { markers: ['pr-ready'] });
    const fresh = item('ENG');
    const shadow = run('other', 'ENG', { shadowOf: 'run-x', backend: 'fly-machines' });
    const plan = planDispatch({ candidates: candidates([withPr, ['ENG']], [fresh, ['ENG']]), mappings: [eng] }, { activeRuns: [shadow], dedup: noDedup, now: NOW }, policy);
    expect(plan.starts.map((s) => s.item.identifier)).toEqual([fresh.identifier]);
    expect(plan.blockers).toEqual([]);
  });

  it('sends every ticket to the runner-mode override’s backend', () => {
    const eng = mapping('ENG', { executionMode: 'github-actions' });
    const plan = planDispatch({ candidates: candidates([item('ENG'), ['ENG']]), mappings: [eng] }, { activeRuns: [], dedup: noDedup, now: NOW }, { ...policy, runnerMode: 'fly' });
    expect(plan.starts[0]?.backend).toBe('fly-machines');
  });
});

describe('parseMapping', () => {
  it('fills the documented defaults, by provider for maxIterations', () => {
    const anthropic = parseMapping({ teamKey: 'ENG', owner: 'acme', repo: 'web', defaultBranch: 'main' }, '2026-01-01T00:00:00Z');
    expect(anthropic.ok && anthropic.mapping).toMatchObject({ maxInProgressAiIssues: 3, maxTurns: 50, maxIterations: 3, maxJobMinutes: 90, executionMode: 'github-actions', provider: 'anthropic', paused: false, linear: { teamKey: 'ENG' } });
    const bedrock = parseMapping({ teamKey: 'ENG', owner: 'acme', repo: 'web', defaultBranch: 'main', provider: 'bedrock', awsRegion: 'us-west-2' }, '2026-01-01T00:00:00Z');
    expect(bedrock.ok && bedrock.mapping.maxIterations).toBe(2);
  });

  it('names each bad field with a clear message', () => {
    const result = parseMapping({ teamKey: '1bad', owner: 'acme', repo: 'web', defaultBranch: '', provider: 'bedrock', maxInProgressAiIssues: 0, surprise: true }, '2026-01-01T00:00:00Z');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const fields = result.problems.map((p) => p.field);
    expect(fields).toEqual(expect.arrayContaining(['teamKey', 'defaultBranch', 'maxInProgressAiIssues', 'surprise']));
    expect(result.problems.find((p) => p.field === 'defaultBranch')?.message).toContain('primary branch');
    const bedrock = parseMapping({ teamKey: 'ENG', owner: 'acme', repo: 'web', defaultBranch: 'main', provider: 'bedrock' }, '2026-01-01T00:00:00Z');
    expect(!bedrock.ok && bedrock.problems).toEqual([{ field: 'awsRegion', message: 'is required when provider is bedrock' }]);
  });

  it('requires JQL for a Jira project and defaults its repo field value to owner/repo', () => {
    const missing = parseMapping({ teamKey: 'OPS', trackerKind: 'jira', owner: 'acme', repo: 'web', defaultBranch: 'main' }, '2026-01-01T00:00:00Z');
    expect(missing.ok).toBe(false);
    const jira = parseMapping({ teamKey: 'OPS', trackerKind: 'jira', jira: { jql: 'project = OPS' }, owner: 'acme', repo: 'web', defaultBranch: 'main' }, '2026-01-01T00:00:00Z');
    expect(jira.ok && jira.mapping.jira).toEqual({ jql: 'project = OPS', repoFieldValue: 'acme/web' });
  });
});
