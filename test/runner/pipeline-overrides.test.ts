import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listRunnerCatalog } from '../../src/runner/list-runner-catalog.js';
import { loadPipeline } from '../../src/runner/load-pipeline.js';
import { loadStepModules } from '../../src/runner/load-step-modules.js';
import { PipelineError, parsePipeline } from '../../src/runner/parse-pipeline.js';
import { createRunnerLog } from '../../src/runner/runner-log.js';
import { defaultRunnerRoots, type RunnerRoots } from '../../src/runner/runner-roots.js';
import { BUILT_IN_STEPS } from '../../src/runner/steps/index.js';
import { REPO_ROOT } from './support/run-cli.js';

const BUILT_IN_IDS = new Set(Object.keys(BUILT_IN_STEPS));

describe('pipeline and step overrides', () => {
  let customDir: string;
  let roots: RunnerRoots;
  let lines: string[];
  const log = () => createRunnerLog((l) => lines.push(l));

  beforeEach(async () => {
    customDir = await mkdtemp(join(tmpdir(), 'runner-custom-'));
    await mkdir(join(customDir, 'pipelines'));
    await mkdir(join(customDir, 'steps'));
    roots = { ...defaultRunnerRoots(REPO_ROOT, customDir), compiledCustomDir: join(customDir, 'no-dist') };
    lines = [];
  });
  afterEach(async () => rm(customDir, { recursive: true, force: true }));

  it('loads every built-in pipeline against the built-in steps', async () => {
    for (const name of ['implement', 'plan', 'gap-fill', 'review-feedback']) {
      const loaded = await loadPipeline(name, roots, BUILT_IN_IDS, log());
      expect(loaded.status).toBe('built-in');
      expect(loaded.path).toBe(join(REPO_ROOT, 'pipelines', `${name}.yml`));
      expect(loaded.pipeline.steps[0]!.uses).toBe('clone');
    }
  });

  it('a custom pipeline replaces the built-in of the same name', async () => {
    await writeFile(join(customDir, 'pipelines', 'implement.yml'), 'steps:\n  - id: clone\n    uses: clone\n  - id: report\n    uses: report\n');
    const loaded = await loadPipeline('implement', roots, BUILT_IN_IDS, log());
    expect(loaded.status).toBe('override');
    expect(loaded.path).toBe(join(customDir, 'pipelines', 'implement.yml'));
    expect(loaded.pipeline.steps.map((s) => s.id)).toEqual(['clone', 'report']);
  });

  it('a custom step module overrides a built-in, and another adds a new step', async () => {
    await writeFile(join(customDir, 'steps', 'report.js'), "export default { title: 'Custom report', async run() { return { status: 'passed', summary: 'custom' }; } };\n");
    await writeFile(join(customDir, 'steps', 'notify-slack.js'), "export default { async run(ctx) { return { status: 'passed', output: { id: ctx.job.runId } }; } };\n");
    const steps = await loadStepModules(roots, log());
    expect(steps.get('report')).toMatchObject({ status: 'override', path: join(customDir, 'steps', 'report.js') });
    expect(steps.get('report')!.module.title).toBe('Custom report');
    expect(steps.get('notify-slack')).toMatchObject({ status: 'additive' });
    expect(steps.get('clone')).toMatchObject({ status: 'built-in', module: BUILT_IN_STEPS.clone });
    await writeFile(join(customDir, 'pipelines', 'notify.yml'), 'steps:\n  - id: tell\n    uses: notify-slack\n');
    const loaded = await loadPipeline('notify', roots, new Set(steps.keys()), log());
    expect(loaded).toMatchObject({ status: 'additive', pipeline: { steps: [{ id: 'tell', uses: 'notify-slack' }] } });
  });

  it('a TypeScript step module loads when a TS loader runs the runner', async () => {
    await writeFile(join(customDir, 'steps', 'verify.ts'), "const title: string = 'TS verify';\nexport default { title, async run() { return { status: 'skipped' as const }; } };\n");
    const steps = await loadStepModules(roots, log());
    expect(steps.get('verify')).toMatchObject({ status: 'override', path: join(customDir, 'steps', 'verify.ts') });
  });

  it('broken overrides fall back to the built-in with a warning', async () => {
    await writeFile(join(customDir, 'steps', 'clone.js'), "throw new Error('boom at import');\n");
    await writeFile(join(customDir, 'steps', 'push.js'), 'export default 42;\n');
    await writeFile(join(customDir, 'steps', 'install.js'), 'export default { run: ;\n');
    await writeFile(join(customDir, 'pipelines', 'plan.yml'), 'steps:\n  - id: clone\n    uses: [unclosed\n');
    const steps = await loadStepModules(roots, log());
    for (const id of ['clone', 'push', 'install']) expect(steps.get(id)).toMatchObject({ status: 'built-in', module: BUILT_IN_STEPS[id] });
    const loaded = await loadPipeline('plan', roots, new Set(steps.keys()), log());
    expect(loaded.status).toBe('built-in');
    const warnings = lines.filter((l) => l.includes(' warn '));
    expect(warnings.some((l) => l.includes('boom at import') && l.includes('"fallback":"built-in"'))).toBe(true);
    expect(warnings.some((l) => l.includes('push.js') && l.includes('default export must be'))).toBe(true);
    expect(warnings.some((l) => l.includes('install.js'))).toBe(true);
    expect(warnings.some((l) => l.includes('custom pipeline ignored') && l.includes(`plan.yml:4`))).toBe(true);
  });

  it('an unknown step id fails with the file and the line of its uses:', async () => {
    const file = join(customDir, 'pipelines', 'extra.yml');
    await writeFile(file, 'description: extra\nsteps:\n  - id: clone\n    uses: clone\n  - id: deploy\n    uses: deploy-to-prod\n');
    const error = await loadPipeline('extra', roots, BUILT_IN_IDS, log()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineError);
    expect(error).toMatchObject({ file, line: 6 });
    expect((error as Error).message).toMatch(new RegExp(`^${file}:6:11: unknown step "deploy-to-prod"`));
  });

  it('malformed YAML fails with the file and line', async () => {
    const file = join(customDir, 'pipelines', 'broken.yml');
    await writeFile(file, 'steps:\n  - id: clone\n    uses: clone\n  - id: x: y\n    uses: report\n');
    const error = await loadPipeline('broken', roots, BUILT_IN_IDS, log()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).file).toBe(file);
    expect((error as PipelineError).line).toBe(4);
    expect((error as Error).message).toContain(`${file}:4:9: malformed YAML`);
  });

  it('schema errors point at the offending key', () => {
    const text = 'steps:\n  - id: clone\n    uses: clone\n  - id: push\n    use: push\n';
    expect(() => parsePipeline('p.yml', text)).toThrow(/^p\.yml:4:\d+: steps\.1\.uses/);
    expect(() => parsePipeline('p.yml', 'steps:\n  - id: a\n    uses: clone\n    colour: red\n')).toThrow(/^p\.yml:4:5: .*colour/);
    expect(() => parsePipeline('p.yml', 'steps:\n  - id: a\n    uses: clone\n    if: "!shadw"\n')).toThrow(/^p\.yml:4:9: steps\.0\.if/);
    expect(() => parsePipeline('p.yml', 'steps:\n  - id: a\n    uses: clone\n  - id: a\n    uses: report\n')).toThrow(/^p\.yml:4:9: .*duplicate step id "a"/);
  });

  it('rejects pipeline names that could escape the pipelines directory', async () => {
    await expect(loadPipeline('../etc/passwd', roots, BUILT_IN_IDS, log())).rejects.toBeInstanceOf(PipelineError);
  });

  it('lists pipelines and steps with their status and paths', async () => {
    await writeFile(join(customDir, 'pipelines', 'implement.yml'), 'steps:\n  - id: clone\n    uses: clone\n');
    await writeFile(join(customDir, 'pipelines', 'plan.yml'), 'steps: [');
    await writeFile(join(customDir, 'pipelines', 'deploy.yml'), 'steps:\n  - id: tell\n    uses: notify-slack\n');
    await writeFile(join(customDir, 'steps', 'report.js'), 'export default { async run() { return { status: "passed" }; } };\n');
    await writeFile(join(customDir, 'steps', 'notify-slack.js'), 'export default { async run() { return { status: "passed" }; } };\n');
    const catalog = await listRunnerCatalog(roots);
    const byName = Object.fromEntries(catalog.pipelines.map((p) => [p.name, p]));
    expect(byName.implement).toMatchObject({ status: 'override', path: join(customDir, 'pipelines', 'implement.yml') });
    expect(byName.implement!.error).toBeUndefined();
    expect(byName.plan).toMatchObject({ status: 'override', path: join(REPO_ROOT, 'pipelines', 'plan.yml') });
    expect(byName.plan!.error).toContain('plan.yml:1');
    expect(byName.deploy).toMatchObject({ status: 'additive', path: join(customDir, 'pipelines', 'deploy.yml') });
    expect(byName['gap-fill']).toMatchObject({ status: 'built-in' });
    const steps = Object.fromEntries(catalog.steps.map((s) => [s.id, s]));
    expect(steps.report).toMatchObject({ status: 'override', path: join(customDir, 'steps', 'report.js') });
    expect(steps.report!.builtInPath).toMatch(/src\/runner\/steps\/report\.ts$/);
    expect(steps['notify-slack']).toMatchObject({ status: 'additive' });
    expect(steps.clone).toMatchObject({ status: 'built-in' });
  });
});
