import { describe, expect, it } from 'vitest';
import { RUN_STATUSES, type Run, type RunStatus } from '../../src/domain/run.js';
import {
  ACTIVE_RUN_STATUSES,
  RUN_TRANSITIONS_KEPT,
  TERMINAL_RUN_STATUSES,
  allowedTransitions,
  canTransition,
  finishedStatus,
  isTerminal,
  recordTransition,
  transitionRefusal,
} from '../../src/domain/run-status.js';
import { upgradeLegacyRun } from '../../src/domain/legacy-run-names.js';

/** The issue's lifecycle, written out pair by pair: every move not listed here must be refused. */
const LEGAL: Record<RunStatus, RunStatus[]> = {
  queued: ['claimed', 'failed', 'cancelled'],
  claimed: ['retrying', 'launching', 'running', 'pr_opened', 'succeeded', 'failed', 'timed_out', 'cancelled'],
  retrying: ['claimed', 'failed', 'cancelled'],
  launching: ['claimed', 'running', 'pr_opened', 'succeeded', 'failed', 'timed_out', 'cancelled', 'interrupted'],
  running: ['claimed', 'pr_opened', 'succeeded', 'failed', 'timed_out', 'cancelled', 'interrupted'],
  pr_opened: ['deleted'],
  succeeded: ['deleted'],
  failed: ['deleted'],
  timed_out: ['deleted'],
  cancelled: ['deleted'],
  interrupted: ['deleted'],
  deleted: [],
};

const pairs = RUN_STATUSES.flatMap((from) => RUN_STATUSES.map((to) => [from, to] as const));

describe('run lifecycle state machine', () => {
  it('partitions every status into active or terminal', () => {
    for (const status of RUN_STATUSES) expect(ACTIVE_RUN_STATUSES.includes(status) !== TERMINAL_RUN_STATUSES.includes(status), status).toBe(true);
    expect([...ACTIVE_RUN_STATUSES].sort()).toEqual(['claimed', 'launching', 'queued', 'retrying', 'running']);
  });

  it.each(pairs.filter(([from, to]) => from !== to && LEGAL[from].includes(to)))('allows %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
    expect(transitionRefusal(from, to)).toBeUndefined();
  });

  it.each(pairs.filter(([from, to]) => from !== to && !LEGAL[from].includes(to)))('refuses %s → %s with a sentence naming the allowed moves', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
    const refusal = transitionRefusal(from, to, 'run-1');
    expect(refusal).toContain(`run run-1 cannot go ${from} → ${to}`);
    expect(refusal).toContain(LEGAL[from].length > 0 ? `may go to ${LEGAL[from].join(', ')}` : `${from} is final`);
  });

  it.each(RUN_STATUSES.map((s) => [s]))('staying in %s is a patch when live and refused when final', (status) => {
    expect(canTransition(status, status)).toBe(!isTerminal(status));
  });

  it('has no table entry beyond the issue’s lifecycle', () => {
    for (const from of RUN_STATUSES) expect([...allowedTransitions(from)].sort()).toEqual([...LEGAL[from]].sort());
  });

  it('records each change with its time and reason, keeping the newest', () => {
    let run: Pick<Run, 'transitions'> = {};
    run = { transitions: recordTransition(run, 'claimed', 'launching', '2026-01-01T00:00:00.000Z') };
    run = { transitions: recordTransition(run, 'launching', 'launching', '2026-01-01T00:00:01.000Z') };
    run = { transitions: recordTransition(run, 'launching', 'failed', '2026-01-01T00:00:02.000Z', 'exit 1') };
    expect(run.transitions).toEqual([
      { from: 'claimed', to: 'launching', at: '2026-01-01T00:00:00.000Z' },
      { from: 'launching', to: 'failed', at: '2026-01-01T00:00:02.000Z', reason: 'exit 1' },
    ]);
    let looping: Pick<Run, 'transitions'> = {};
    for (let i = 0; i < RUN_TRANSITIONS_KEPT + 10; i++) looping = { transitions: recordTransition(looping, i % 2 ? 'retrying' : 'claimed', i % 2 ? 'claimed' : 'retrying', new Date(i * 1000).toISOString()) };
    expect(looping.transitions).toHaveLength(RUN_TRANSITIONS_KEPT);
    expect(looping.transitions?.at(-1)?.at).toBe(new Date((RUN_TRANSITIONS_KEPT + 9) * 1000).toISOString());
  });

  it('ends a success as pr_opened with a pull request and succeeded without (a plan)', () => {
    expect(finishedStatus('succeeded', 'https://github.com/a/b/pull/1')).toBe('pr_opened');
    expect(finishedStatus('succeeded', undefined)).toBe('succeeded');
    expect(finishedStatus('failed', 'https://github.com/a/b/pull/1')).toBe('failed');
    expect(finishedStatus('cancelled', undefined)).toBe('cancelled');
  });
});

describe('old run names', () => {
  const base = { id: 'r', issueId: 'i', identifier: 'ENG-1', tracker: 'linear', mappingKey: 'ENG', phase: 'implement', attempt: 1, dispatchNumber: 1, backend: 'local', runnerMode: 'default', createdAt: 'x', updatedAt: 'x' } as const;
  const old = (fields: Record<string, unknown>) => ({ ...base, ...fields }) as unknown as Run;

  it('are translated to today’s statuses and sources', () => {
    expect(upgradeLegacyRun(old({ status: 'dispatching', triggerSource: 'webhook' }))).toMatchObject({ status: 'claimed', triggerSource: 'linear-webhook' });
    expect(upgradeLegacyRun(old({ status: 'dispatched', triggerSource: 'webhook', tracker: 'jira' }))).toMatchObject({ status: 'launching', triggerSource: 'jira-webhook' });
    expect(upgradeLegacyRun(old({ status: 'succeeded', prUrl: 'https://github.com/a/b/pull/1', triggerSource: 'comment' }))).toMatchObject({ status: 'pr_opened', triggerSource: 'pr-comment' });
    expect(upgradeLegacyRun(old({ status: 'succeeded', phase: 'plan', triggerSource: 'trigger' }))).toMatchObject({ status: 'succeeded', triggerSource: 'gap-fill-trigger' });
  });

  it('leave a current run untouched (the same object)', () => {
    const current = old({ status: 'running', triggerSource: 'poll' });
    expect(upgradeLegacyRun(current)).toBe(current);
  });
});
