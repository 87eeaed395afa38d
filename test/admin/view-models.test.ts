import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Run } from '../../src/domain/run.js';
import type { RunStep } from '../../src/domain/step.js';
import { createRenderer } from '../../src/http/admin/render.js';
import type { CustomizationsView } from '../../src/http/admin/view-models/developer-views.js';
import type { SessionsView } from '../../src/http/admin/view-models/platform-views.js';
import { findProjectRoot } from '../../src/package-info.js';
import { buildStepperView, checkDraft, emptyDraft, firstStepWith, problemsUpTo } from '../../src/http/admin/view-models/project-stepper.js';
import { buildProgress, buildRunView, buildStepTree } from '../../src/http/admin/view-models/run-view.js';
import { buildTrendChart, niceMax } from '../../src/http/admin/view-models/trend-chart.js';

const hour = (i: number, created: number, failed: number) => ({ start: new Date(Date.UTC(2026, 0, 1, i)).toISOString(), created, failed });

describe('trend chart geometry', () => {
  it('draws a dispatched and a failed bar per hour, scaled to a round maximum', () => {
    const hours = Array.from({ length: 24 }, (_, i) => hour(i, i === 23 ? 7 : 0, i === 23 ? 2 : 0));
    const chart = buildTrendChart(hours);
    expect(chart.bars).toHaveLength(48);
    const [dispatched, failed] = chart.bars.slice(-2);
    // The axis tops out at 10 (nice maximum of 7), so 7 fills 70% of the plot height.
    const plot = chart.baseline - 12;
    expect(dispatched!.height).toBeCloseTo(plot * 0.7, 0);
    expect(failed!.height).toBeCloseTo(plot * 0.2, 0);
    expect(dispatched!.y + dispatched!.height).toBeCloseTo(chart.baseline, 1);
    expect(chart.totalDispatched).toBe(7);
    expect(chart.bars[0]!.height).toBe(0);
    expect(chart.yTicks.map((t) => t.text)).toEqual(['0', '2.5', '5', '7.5', '10']);
  });

  it('picks round axis maxima', () => {
    expect([0, 3, 7, 11, 240, 1_001].map(niceMax)).toEqual([4, 4, 10, 20, 250, 2_000]);
  });
});

describe('project stepper', () => {
  const now = '2026-01-01T00:00:00.000Z';
  const filled = () => ({ ...emptyDraft(), teamKey: 'WEB', owner: 'acme', repo: 'web', defaultBranch: 'main' });

  it('keeps a missing default branch on the repository step with the schema’s message', () => {
    const check = checkDraft({ ...filled(), defaultBranch: '' }, now, new Set());
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(problemsUpTo(2, check.problems)).toEqual([]);
    expect(firstStepWith(check.problems)).toBe(3);
    const view = buildStepperView(3, { ...filled(), defaultBranch: '' }, problemsUpTo(3, check.problems), false);
    expect(view.errors.defaultBranch).toHaveLength(1);
    expect(view.errors.defaultBranch![0]).toMatch(/^is required/);
  });

  it('fills blank capacity fields with the documented defaults and refuses a taken key', () => {
    const check = checkDraft({ ...filled(), provider: 'bedrock', awsRegion: 'eu-west-1', maxTurns: '' }, now, new Set());
    expect(check.ok && check.mapping).toMatchObject({ maxTurns: 50, maxIterations: 2, maxJobMinutes: 90, maxInProgressAiIssues: 3 });
    const taken = checkDraft(filled(), now, new Set(['WEB']));
    expect(!taken.ok && taken.problems).toEqual([{ field: 'teamKey', message: 'a project with key WEB already exists' }]);
    const notANumber = checkDraft({ ...filled(), maxJobMinutes: 'ninety' }, now, new Set());
    expect(!notANumber.ok && firstStepWith(notANumber.problems)).toBe(6);
  });

  it('carries the other steps’ fields as hidden inputs but never a blank one', () => {
    const view = buildStepperView(3, filled(), [], false);
    const hidden = view.hidden.map((h) => h.name);
    expect(hidden).toContain('teamKey');
    expect(hidden).not.toContain('owner');
    expect(hidden).not.toContain('awsRegion');
  });
});

describe('run progress', () => {
  const run = { id: 'r1', status: 'running', createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', startedAt: '2026-01-01T00:00:00.000Z' } as Run;
  const step = (id: string, status: RunStep['status'], parentId?: string): RunStep => ({ runId: 'r1', id, type: id, status, updatedAt: run.createdAt, startedAt: run.createdAt, ...(parentId ? { parentId } : {}) });
  const planned = ['clone', 'implement', 'verify', 'push'].map((id) => ({ id, uses: id }));

  it('counts finished top-level steps against the pipeline plan and names the running one', () => {
    const progress = buildProgress(run, [step('clone', 'passed'), step('implement', 'running'), step('tool-call', 'passed', 'implement')], planned, Date.parse(run.createdAt) + 5_000);
    expect(progress).toMatchObject({ percent: 25, done: 1, total: 4, terminal: false });
    expect(progress.label).toContain('running implement');
    expect(buildProgress({ ...run, status: 'succeeded' }, [], planned, 0).percent).toBe(100);
  });

  it('nests child steps and lists not-yet-started steps as pending, in pipeline order', () => {
    const tree = buildStepTree([step('implement', 'running'), step('tool-call', 'passed', 'implement'), step('clone', 'passed')], planned, 0);
    expect(tree.map((n) => `${n.id}:${n.status}`)).toEqual(['clone:passed', 'implement:running', 'verify:pending', 'push:pending']);
    expect(tree[1]!.children.map((c) => c.id)).toEqual(['tool-call']);
  });
});

describe('run page usage', () => {
  const finished = {
    id: 'r2',
    identifier: 'ENG-7',
    mappingKey: 'ENG',
    phase: 'implement',
    status: 'succeeded',
    backend: 'github-actions',
    runnerMode: 'default',
    triggerSource: 'poll',
    dispatchNumber: 1,
    attempt: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:10:00.000Z',
    finishedAt: '2026-01-01T00:10:00.000Z',
    agent: { runtime: 'claude-code', model: 'claude-sonnet-4-5', provider: 'bedrock', fallbackFrom: ['codex'] },
    tokens: { input: 12_345, output: 2_345, cacheRead: 10_000, cacheWrite: 500 },
    costUsd: 0.0421,
  } as Run;

  it('shows the agent, model, every kind of token and the cost', () => {
    const vm = buildRunView(finished, [], [], undefined, Date.parse(finished.finishedAt!));
    expect(vm.usage?.headline).toBe('Done by claude-code (claude-sonnet-4-5, after codex gave up) — 12,345 in / 2,345 out / 10,000 cache read / 500 cache write tokens, $0.0421');
    expect(Object.fromEntries(vm.usage!.rows.map((r) => [r.label, r.value]))).toEqual({
      Agent: 'claude-code (after codex gave up) on bedrock',
      Model: 'claude-sonnet-4-5',
      'Input tokens': '12,345',
      'Output tokens': '2,345',
      'Cache read tokens': '10,000',
      'Cache write tokens': '500',
      Cost: '$0.0421',
    });
    const html = createRenderer(join(findProjectRoot(), 'views'), { cache: false }).fragment('panels/run', vm);
    expect(html).toContain('<dt>Cache read tokens</dt><dd>10,000</dd>');
    expect(vm.run.costText).toBe('$0.0421');
  });

  it('says the cost is unknown when tokens could not be priced, and shows nothing before the runner reported usage', () => {
    const { costUsd: _cost, ...unpriced } = finished;
    const vm = buildRunView(unpriced as Run, [], [], undefined, 0);
    expect(vm.usage?.rows.at(-1)?.value).toMatch(/^unknown/);
    const { agent: _agent, tokens: _tokens, ...bare } = unpriced;
    expect(buildRunView(bare as Run, [], [], undefined, 0).usage).toBeUndefined();
  });
});

describe('panel templates read the operations services’ own field names', () => {
  const renderer = createRenderer(join(findProjectRoot(), 'views'), { cache: false });

  it('Customizations: the file it shadows and its size in bytes', () => {
    const vm: CustomizationsView = {
      rows: [{ path: 'custom/steps/verify.ts', category: 'step', status: 'override', shadows: 'src/runner/steps/verify.ts', size: 1536, modifiedAt: '2026-01-01T00:00:00.000Z', sizeText: '1.5 KiB', modifiedText: '2026-01-01 00:00:00 UTC', statusTone: 'warn' }],
      source: 'every file under custom/',
      empty: { title: 'none', next: 'none' },
    };
    const html = renderer.fragment('panels/customizations', vm);
    expect(html).toContain('<td class="mono small">src/runner/steps/verify.ts</td>');
    expect(html).toContain('data-value="1536"');
  });

  it('Sessions: the ticket a machine works on, linked when its URL is known', () => {
    const session = { machineId: 'm1', name: 'run-1', state: 'started', region: 'ams', uptimeSeconds: 3, createdAt: '2026-01-01T00:00:00.000Z', issue: 'DEMO-4', issueUrl: 'https://linear.example/DEMO-4', repo: 'demo-org/demo-app' };
    const vm: SessionsView = { available: true, rows: [{ ...session, uptimeText: '3s', stateTone: 'info', confirmText: 'Destroy?' }], empty: { title: 'none', next: 'none' } };
    expect(renderer.fragment('panels/sessions', vm)).toContain('<a href="https://linear.example/DEMO-4" rel="noreferrer">DEMO-4</a>');
  });
});
