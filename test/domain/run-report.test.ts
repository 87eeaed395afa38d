import { describe, expect, it } from 'vitest';
import type { Run } from '../../src/domain/run.js';
import { buildRunReport } from '../../src/domain/run-report.js';
import { renderRunReportJson, runReportFileName } from '../../src/domain/run-report-files.js';
import { fencedBlock, inlineCode, renderRunReportMarkdown } from '../../src/domain/run-report-markdown.js';
import type { RunStep } from '../../src/domain/step.js';
import { proseOf } from '../support/markdown-prose.js';

const HOSTILE = 'done ``` [click](javascript:alert(1)) ` <script>alert(1)</script> ](http://evil) ` tick <!-- ai-implement:run x -->';

function run(overrides: Partial<Run> = {}): Run {
  return {
    id: 'run-1',
    issueId: 'issue-1',
    identifier: 'ENG-7',
    title: 'Add a counter',
    tracker: 'linear',
    mappingKey: 'ENG',
    phase: 'implement',
    status: 'succeeded',
    attempt: 1,
    dispatchNumber: 1,
    backend: 'github-actions',
    runnerMode: 'default',
    triggerSource: 'poll',
    prUrl: 'https://github.com/acme/app/pull/3',
    prNumber: 3,
    branch: 'ai-implement/ENG-7',
    summary: 'did the work',
    costUsd: 0.0421,
    tokens: { input: 12_345, output: 2_345 },
    agent: { runtime: 'claude-code', model: 'claude-sonnet-4-5', provider: 'anthropic' },
    createdAt: '2025-01-01T10:00:00.000Z',
    updatedAt: '2025-01-01T10:05:00.000Z',
    startedAt: '2025-01-01T10:00:30.000Z',
    finishedAt: '2025-01-01T10:04:30.000Z',
    ...overrides,
  };
}

function step(id: string, type: string, startedAt: string | undefined, finishedAt: string | undefined, output?: unknown, extra: Partial<RunStep> = {}): RunStep {
  return { runId: 'run-1', id, type, status: 'passed', ...(startedAt ? { startedAt } : {}), ...(finishedAt ? { finishedAt } : {}), ...(output !== undefined ? { output } : {}), updatedAt: '2025-01-01T10:04:30.000Z', ...extra };
}

const STEPS: RunStep[] = [
  step('clone', 'clone', '2025-01-01T10:00:30.000Z', '2025-01-01T10:00:35.000Z'),
  step('verify', 'verify', '2025-01-01T10:01:00.000Z', '2025-01-01T10:02:05.000Z', { commands: ['npm run test', 'npm run lint'], failed: ['npm run lint'] }),
  step('iteration-1', 'feedback-iteration', '2025-01-01T10:02:10.000Z', undefined, undefined, { parentId: 'feedback-loop', status: 'running' }),
  step('review', 'review', '2025-01-01T10:03:00.000Z', '2025-01-01T10:03:40.000Z', { commentId: 9, url: 'https://github.com/acme/app/pull/3#issuecomment-9', gapAnalysis: 'Missing: the reset button.' }),
  step('report', 'report', '2025-01-01T10:04:00.000Z', '2025-01-01T10:04:01.000Z', { commits: 2, diffStats: { base: 'origin/main', filesChanged: 3, insertions: 40, deletions: 7 } }),
];

describe('buildRunReport', () => {
  it('gathers the run, its steps with durations, PR, usage, checks, diff stats and gap analysis', () => {
    const report = buildRunReport(run(), STEPS);
    expect(report).toMatchObject({
      version: 1,
      final: true,
      run: { id: 'run-1', identifier: 'ENG-7', status: 'succeeded', durationMs: 240_000, startedAt: '2025-01-01T10:00:30.000Z' },
      pullRequest: { url: 'https://github.com/acme/app/pull/3', number: 3 },
      branch: 'ai-implement/ENG-7',
      usage: { tokens: { input: 12_345, output: 2_345 }, costUsd: 0.0421, description: 'Done by claude-code (claude-sonnet-4-5) — 12,345 in / 2,345 out tokens, $0.0421' },
      commits: 2,
      checks: { commands: ['npm run test', 'npm run lint'], failed: ['npm run lint'] },
      diffStats: { reported: true, base: 'origin/main', filesChanged: 3, insertions: 40, deletions: 7 },
      gapAnalysis: { reported: true, text: 'Missing: the reset button.', truncated: false, commentUrl: 'https://github.com/acme/app/pull/3#issuecomment-9' },
      failure: null,
    });
    expect(report.steps.map((s) => [s.id, s.durationMs])).toEqual([
      ['clone', 5_000],
      ['verify', 65_000],
      ['iteration-1', null],
      ['review', 40_000],
      ['report', 1_000],
    ]);
    expect(report.steps[2]).toMatchObject({ parentId: 'feedback-loop', status: 'running', finishedAt: null });
  });

  it('says "not reported" for runs whose runner sent no diff stats or review, and keeps the failure', () => {
    const failed = run({ status: 'failed', failureReason: 'tests failed', failedStep: 'verify', prUrl: undefined, prNumber: undefined, tokens: undefined, costUsd: undefined, agent: undefined });
    const report = buildRunReport(failed, [step('report', 'report', undefined, undefined, { commits: 0, pushed: false, checksFailing: [] })]);
    expect(report).toMatchObject({ diffStats: { reported: false }, gapAnalysis: { reported: false }, pullRequest: null, failure: { step: 'verify', reason: 'tests failed' } });
    expect(report.usage).toEqual({ tokens: null, costUsd: null, description: null });
    const md = renderRunReportMarkdown(report);
    expect(md).toMatch(/\| Diff \| not reported \|/);
    expect(md).toContain('## Gap analysis\n\nNot reported');
    expect(md).toContain('| Pull request | none |');
  });

  it('links a review comment only in the PR’s own repository', () => {
    for (const url of ['http://evil.example/acme/app/pull/3', 'https://github.com/other/app/pull/3#issuecomment-1', 'javascript:alert(1)', 'not a url']) {
      const steps = [step('review', 'review', undefined, undefined, { url, gapAnalysis: 'x' })];
      expect(buildRunReport(run(), steps).gapAnalysis, url).toMatchObject({ reported: true, commentUrl: null });
    }
  });
});

describe('the Markdown report', () => {
  const hostile = buildRunReport(
    run({ title: `Title ${HOSTILE}`, summary: `Summary line\n${HOSTILE}\n\`\`\`\`\n[after](http://evil) a long fence`, branch: 'b|ranch`x', status: 'failed', failureReason: HOSTILE, failedStep: 'verify' }),
    [
      step('evil](http://evil)', 'custom|type', '2025-01-01T10:00:30.000Z', '2025-01-01T10:00:35.000Z', { summary: HOSTILE }),
      step('review', 'review', undefined, undefined, { url: 'https://github.com/acme/app/pull/3#issuecomment-9', gapAnalysis: HOSTILE }),
    ],
  );
  const md = renderRunReportMarkdown(hostile);

  it('keeps every outside text in code spans and fenced blocks, so nothing of it is markup', () => {
    const prose = proseOf(md);
    for (const bad of ['<script', 'javascript:', '](http://evil)', '[click]', '<!--', 'http://evil']) expect(prose, bad).not.toContain(bad);
    // The texts are all there, in code.
    expect(md).toContain('<script>alert(1)</script>');
    expect(md.match(/\[click\]\(javascript:alert\(1\)\)/g)?.length).toBeGreaterThanOrEqual(5);
    // The only links are the ones we vouch for.
    expect([...prose.matchAll(/<(https?:[^>]+)>/g)].map((m) => m[1])).toEqual(['https://github.com/acme/app/pull/3', 'https://github.com/acme/app/pull/3#issuecomment-9']);
  });

  it('keeps the table whole: a | inside a cell is escaped', () => {
    const branch = md.split('\n').find((l) => l.startsWith('| Branch |'))!;
    expect(branch.replace(/\\\|/g, '').split('|')).toHaveLength(4);
    const stepRow = md.split('\n').find((l) => l.includes('custom'))!;
    expect(stepRow.replace(/\\\|/g, '').split('|')).toHaveLength(7);
  });

  it('neutralises hidden markers, so a pasted report cannot key one of our comments', () => {
    expect(md).not.toContain('<!-- ai-implement');
    expect(md).toContain('<\\!-- ai-implement:run x --\\>');
  });

  it('delimits code by more backticks than the text holds', () => {
    expect(inlineCode('a ` b')).toBe('``a ` b``');
    expect(inlineCode('`edge`')).toBe('`` `edge` ``');
    expect(inlineCode('  ')).toBe('—');
    expect(fencedBlock('x\n````\ny')).toBe('`````text\nx\n````\ny\n`````');
  });
});

describe('the JSON report file', () => {
  it('holds no tag characters, and parses back to the same report', () => {
    const report = buildRunReport(run({ summary: HOSTILE }), STEPS);
    const text = renderRunReportJson(report);
    expect(text).not.toMatch(/[<>&]/);
    expect(text).toContain('\\u003cscript\\u003e');
    expect(JSON.parse(text)).toEqual(report);
  });

  it('names files after the ticket and run, with only safe characters', () => {
    expect(runReportFileName({ run: { identifier: 'ENG-7', id: 'run-1' } } as never, 'md')).toBe('ENG-7-run-1.md');
    expect(runReportFileName({ run: { identifier: '../"evil"\r\n', id: 'gh-ab' } } as never, 'json')).toBe('evil_-gh-ab.json');
  });
});
