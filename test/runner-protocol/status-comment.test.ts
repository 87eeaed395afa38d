import { describe, expect, it } from 'vitest';
import { buildChecklist, formatElapsed, renderStatusComment, type StatusCommentView } from '../../src/orchestrator/status-comment.js';

const START = Date.parse('2025-06-01T12:00:00.000Z');

function view(overrides: Partial<StatusCommentView> = {}): StatusCommentView {
  return {
    runId: 'run-1',
    identifier: 'ENG-12',
    phase: 'implement',
    status: 'running',
    attempt: 1,
    plannedSteps: [
      { id: 'checkout', type: 'git.checkout', title: 'Check out the repository' },
      { id: 'agent', type: 'agent.run', title: 'Implement the change' },
      { id: 'lint', type: 'shell', title: 'Lint' },
      { id: 'tests', type: 'shell', title: 'Run the tests' },
      { id: 'pr', type: 'github.pr', title: 'Open the pull request' },
    ],
    steps: [
      { id: 'checkout', type: 'git.checkout', status: 'passed' },
      { id: 'agent', type: 'agent.run', status: 'passed' },
      { id: 'lint', type: 'shell', status: 'skipped' },
      { id: 'tests', type: 'shell', status: 'running' },
    ],
    startedAtMs: START,
    nowMs: START + 192_000,
    ...overrides,
  };
}

describe('renderStatusComment', () => {
  it('shows the checklist in plan order with an icon per state, and the elapsed time', () => {
    expect(renderStatusComment(view())).toBe(
      [
        '### AI-Implement · Implementation · ENG-12',
        '**⏳ Running** · 3m 12s',
        '',
        '- ✅ Check out the repository',
        '- ✅ Implement the change',
        '- ⏭ Lint',
        '- ⏳ Run the tests',
        '- ⬜ Open the pull request',
        '',
        '<sub>run run-1</sub>',
      ].join('\n'),
    );
  });

  it('ends with the PR link on success', () => {
    const text = renderStatusComment(
      view({ status: 'succeeded', steps: view().plannedSteps.map((p) => ({ id: p.id, type: p.type, status: 'passed' as const })), prUrl: 'https://github.com/acme/app/pull/7' }),
    );
    expect(text).toContain('**✅ Succeeded** · 3m 12s');
    expect(text).not.toContain('⬜');
    expect(text).toContain('Pull request: https://github.com/acme/app/pull/7');
  });

  it('ends with the failure reason and the failed step on failure', () => {
    const steps = [...view().steps.slice(0, 3), { id: 'tests', type: 'shell', status: 'failed' as const }];
    const text = renderStatusComment(view({ status: 'failed', steps, failureReason: '3 tests failed\nin app.test.ts', failedStep: 'tests', attempt: 2 }));
    expect(text).toContain('**❌ Failed** · 3m 12s · attempt 2');
    expect(text).toContain('- ❌ Run the tests');
    expect(text).toContain('Failure (step `tests`): 3 tests failed\n```\nin app.test.ts\n```');
  });

  it('states the agent, model, tokens and cost once the run is over', () => {
    const usage = { agent: { runtime: 'claude-code', model: 'claude-sonnet-4-5', fallbackFrom: ['codex'] }, tokens: { input: 12_345, output: 2_345, cacheRead: 10_000 }, costUsd: 0.0421 };
    const done = renderStatusComment(view({ status: 'succeeded', ...usage }));
    expect(done).toContain('\n\nDone by claude-code (claude-sonnet-4-5, after codex gave up) — 12,345 in / 2,345 out / 10,000 cache read tokens, $0.0421\n\n<sub>run run-1</sub>');
    expect(renderStatusComment(view({ status: 'failed', ...usage, costUsd: undefined, agent: { runtime: 'codex' } }))).toContain('Ran codex — 12,345 in / 2,345 out / 10,000 cache read tokens, cost unknown');
    // While running the totals are not known yet: nothing is said.
    expect(renderStatusComment(view({ status: 'running', ...usage }))).not.toContain('claude-code');
  });

  it('shows the agent CLI’s own reason in a code block, cut to its last lines, so its Markdown stays inert', () => {
    const cli = Array.from({ length: 15 }, (_, i) => `log ${i}`).join('\n');
    const text = renderStatusComment(view({ status: 'failed', failedStep: 'implement', failureReason: `the agent exited with 1\n${cli}\n![x](http://t.example/p.png) 529 Overloaded` }));
    expect(text).toContain('Failure (step `implement`): the agent exited with 1\n```\n… cut: ');
    expect(text).toContain('log 14\n![x](http://t.example/p.png) 529 Overloaded\n```');
    expect(text).not.toContain('log 5\n');
  });

  it('shows reported steps that were not planned, children under their parent, and type when no title', () => {
    const lines = buildChecklist(
      [{ id: 'agent', type: 'agent.run' }],
      [
        { id: 'agent', type: 'agent.run', status: 'running' },
        { id: 'agent.1', type: 'agent.turn', status: 'passed', parentId: 'agent', title: 'Turn 1' },
        { id: 'extra', type: 'shell', status: 'failed' },
      ],
    );
    expect(lines).toEqual([
      { depth: 0, state: 'running', label: 'agent.run' },
      { depth: 1, state: 'passed', label: 'Turn 1' },
      { depth: 0, state: 'failed', label: 'shell' },
    ]);
  });

  it('formats elapsed time coarsely', () => {
    expect(formatElapsed(42_400)).toBe('42s');
    expect(formatElapsed(65_000)).toBe('1m 05s');
    expect(formatElapsed(3_723_000)).toBe('1h 02m');
    expect(formatElapsed(-5)).toBe('0s');
  });
});
