import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperationsRoutes } from '../../src/http/api/operations-routes.js';
import { listCustomizations } from '../../src/operations/list-customizations.js';
import { listPipelinesAndSteps } from '../../src/operations/list-pipelines-and-steps.js';
import { defaultRunnerRoots, findProjectRoot, type RunnerRoots } from '../../src/runner/index.js';
import { createMemoryStore } from '../../src/store/memory/create-memory-store.js';
import type { Store } from '../../src/store/store.js';
import { startApi, type ApiClient } from './support/api-client.js';

const STEP = 'export default { title: "Mine", async run() { return { status: "passed" }; } };\n';

describe('customizations and the pipelines & steps catalog', () => {
  const customDir = mkdtempSync(join(tmpdir(), 'ai-implement-custom-'));
  const projectRoot = findProjectRoot();
  let roots: RunnerRoots;
  let store: Store;
  let api: ApiClient;

  beforeAll(async () => {
    mkdirSync(join(customDir, 'pipelines'));
    mkdirSync(join(customDir, 'steps'));
    mkdirSync(join(customDir, 'providers'));
    writeFileSync(join(customDir, 'README.md'), 'upstream readme\n');
    writeFileSync(join(customDir, 'steps', '.gitkeep'), '');
    // An override of the built-in implement pipeline that adds a step.
    writeFileSync(join(customDir, 'pipelines', 'implement.yml'), 'steps:\n  - id: clone\n    uses: clone\n  - id: lint\n    uses: lint-step\n  - id: implement\n    uses: implement\n');
    writeFileSync(join(customDir, 'steps', 'lint-step.ts'), STEP);
    writeFileSync(join(customDir, 'steps', 'verify.ts'), STEP);
    writeFileSync(join(customDir, 'providers', 'claude-code.ts'), STEP);
    writeFileSync(join(customDir, 'notes.txt'), 'operator notes\n');
    roots = { ...defaultRunnerRoots(projectRoot, customDir), compiledCustomDir: join(customDir, 'no-dist') };
    store = createMemoryStore();
    await store.open();
    api = await startApi(store, [
      createOperationsRoutes({ workflowSync: undefined, configStatus: async () => [], customizations: () => listCustomizations(roots), pipelinesAndSteps: () => listPipelinesAndSteps(roots) }),
    ]);
  });

  afterAll(async () => {
    await api?.close();
    await store?.close();
    rmSync(customDir, { recursive: true, force: true });
  });

  it('lists each custom file with its category, status, shadowed built-in, size and time', async () => {
    const answer = await api.call('GET', '/api/customizations');
    expect(answer.status).toBe(200);
    const files = answer.body.files as Array<Record<string, unknown>>;
    expect(files.map((f) => f.path)).toEqual(['custom/notes.txt', 'custom/pipelines/implement.yml', 'custom/providers/claude-code.ts', 'custom/steps/lint-step.ts', 'custom/steps/verify.ts']);
    const byPath = Object.fromEntries(files.map((f) => [f.path, f]));
    expect(byPath['custom/pipelines/implement.yml']).toMatchObject({ category: 'pipeline', status: 'override', shadows: 'pipelines/implement.yml' });
    expect(byPath['custom/steps/verify.ts']).toMatchObject({ category: 'step', status: 'override', shadows: 'src/runner/steps/verify.ts' });
    expect(byPath['custom/steps/lint-step.ts']).toMatchObject({ category: 'step', status: 'additive' });
    expect(byPath['custom/steps/lint-step.ts']?.shadows).toBeUndefined();
    expect(byPath['custom/providers/claude-code.ts']).toMatchObject({ category: 'provider', status: 'override', shadows: 'src/runner/runtimes/claude-code.ts' });
    expect(byPath['custom/notes.txt']).toMatchObject({ category: 'other', status: '—', size: 'operator notes\n'.length });
    expect(Date.parse(String(byPath['custom/notes.txt']?.modifiedAt))).toBeGreaterThan(Date.now() - 60_000);
  });

  it('lists the pipelines in effect with their steps, and every step module with its paths', async () => {
    const answer = await api.call('GET', '/api/pipelines-steps');
    expect(answer.status).toBe(200);
    const pipelines = answer.body.pipelines as Array<Record<string, unknown>>;
    const implement = pipelines.find((p) => p.name === 'implement');
    expect(implement).toMatchObject({ status: 'override', builtInPath: 'pipelines/implement.yml' });
    expect(String(implement?.customPath)).toMatch(/implement\.yml$/);
    expect(implement?.steps).toEqual([
      { id: 'clone', uses: 'clone' },
      { id: 'lint', uses: 'lint-step' },
      { id: 'implement', uses: 'implement' },
    ]);
    const plan = pipelines.find((p) => p.name === 'plan');
    expect(plan).toMatchObject({ status: 'built-in', path: 'pipelines/plan.yml' });
    expect((plan?.steps as unknown[]).length).toBeGreaterThan(0);
    const steps = Object.fromEntries((answer.body.steps as Array<Record<string, unknown>>).map((s) => [s.id, s]));
    expect(steps['lint-step']).toMatchObject({ status: 'additive' });
    expect(String(steps['lint-step']?.customPath)).toMatch(/lint-step\.ts$/);
    expect(steps.verify).toMatchObject({ status: 'override', builtInPath: 'src/runner/steps/verify.ts' });
    expect(steps.clone).toMatchObject({ status: 'built-in', builtInPath: 'src/runner/steps/clone.ts' });
    expect(steps.clone?.customPath).toBeUndefined();
  });

  it('answers an empty list when custom/ does not exist', async () => {
    expect(await listCustomizations({ ...roots, customDir: join(customDir, 'missing') })).toEqual([]);
  });
});
