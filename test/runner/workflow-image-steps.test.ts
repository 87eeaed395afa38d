import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { isImageAllowed } from '../../src/domain/runner-image.js';
import { renderWorkflowTemplate } from '../../src/operations/render-workflow-template.js';
import { readWorkflowTemplates } from '../../src/runner/templates.js';
import { ConflictError } from '../../src/errors/index.js';
import { REPO_ROOT } from './support/run-cli.js';

interface Step { id?: string; run?: string; env?: Record<string, string> }
interface DispatchWorkflow { jobs: { run: { env: Record<string, string>; steps: Step[] } } }

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const scratch = mkdtempSync(join(tmpdir(), 'ai-implement-image-steps-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function dispatchTemplate(name = 'claude-implement.yml') {
  return (await readWorkflowTemplates(REPO_ROOT)).find((t) => t.name === name)!;
}

function bash(script: string, env: Record<string, string>, path = process.env.PATH ?? ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { env: { PATH: path, ...env }, cwd: scratch });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the image step of the dispatch workflows', () => {
  it('agrees with the orchestrator’s own check on every case, and hands the chosen image on as a step output', async () => {
    const allowlist = ['ghcr.io/ai-implement/runner', 'registry.fly.io/'];
    const rendered = renderWorkflowTemplate(await dispatchTemplate(), { image: 'ghcr.io/ai-implement/runner:1.2.3', allowlist });
    const wf = parse(rendered.content) as DispatchWorkflow;
    const step = wf.jobs.run.steps.find((s) => s.id === 'image')!;
    const cases = [
      'ghcr.io/ai-implement/runner:1.2.3',
      `ghcr.io/ai-implement/runner@${DIGEST}`,
      `ghcr.io/ai-implement/runner:1@${DIGEST}`,
      'registry.fly.io/acme-runner:deployment-7',
      'ghcr.io/ai-implement/runner-evil:1',
      'ghcr.io/ai-implement/runner/sub:1',
      'ghcr.io/ai-implement/orchestrator:1',
      'docker.io/evil/runner:latest',
      'runner:latest',
      'acme/runner',
      'GHCR.io/ai-implement/runner:1',
      'ghcr.io/ai-implement/runner:1 --privileged',
      'ghcr.io/ai-implement/runner:1\n::add-mask::x',
      'ghcr.io/ai-implement/runner@sha256:abc',
    ];
    // One shell per case, all at once: the cases are independent.
    await Promise.all(
      cases.map(async (image, index) => {
        const output = join(scratch, `output-${index}`);
        writeFileSync(output, '');
        const result = await bash(step.run!, { ...wf.jobs.run.env, IMAGE_OVERRIDE: image, GITHUB_OUTPUT: output });
        const allowed = isImageAllowed(image, allowlist);
        expect(result.code === 0, `${JSON.stringify(image)}: ${result.stdout}${result.stderr}`).toBe(allowed);
        expect(readFileSync(output, 'utf8')).toBe(allowed ? `image=${image}\n` : '');
        // An image that failed the check is never echoed back (a newline in it could smuggle in a workflow command).
        if (!isImageAllowed(image, ['ghcr.io/', 'registry.fly.io/', 'docker.io/'])) expect(result.stdout).not.toContain(image);
      }),
    );
    // No override: the rendered default.
    const output = join(scratch, 'output-default');
    writeFileSync(output, '');
    expect((await bash(step.run!, { ...wf.jobs.run.env, IMAGE_OVERRIDE: '', GITHUB_OUTPUT: output })).code).toBe(0);
    expect(readFileSync(output, 'utf8')).toBe('image=ghcr.io/ai-implement/runner:1.2.3\n');
  }, 60_000);

  it('logs in with a scoped Docker config fed on stdin, pulls, and leaves no credential behind', async () => {
    const wf = parse((await dispatchTemplate('claude-plan.yml')).content) as DispatchWorkflow;
    const step = wf.jobs.run.steps.find((s) => s.run?.includes('docker pull'))!;
    // A stand-in `docker` that records its arguments, its stdin and where its config lives.
    const bin = join(scratch, 'bin');
    const log = join(scratch, 'docker.log');
    const runnerTemp = mkdtempSync(join(scratch, 'runner-temp-'));
    rmSync(log, { force: true });
    writeFileSync(join(scratch, 'docker'), `#!/bin/bash\nprintf 'args=%s config=%s stdin=%s\\n' "$*" "$DOCKER_CONFIG" "$( [ "$1" = login ] && cat )" >> ${JSON.stringify(log)}\n`);
    chmodSync(join(scratch, 'docker'), 0o755);
    rmSync(bin, { recursive: true, force: true });
    await bash(`mkdir -p ${JSON.stringify(bin)} && mv ${JSON.stringify(join(scratch, 'docker'))} ${JSON.stringify(bin)}/`, {});
    const path = `${bin}:${process.env.PATH ?? ''}`;
    const base = { RUNNER_TEMP: runnerTemp, GITHUB_TOKEN: 'ghs_jobtoken', GITHUB_ACTOR_NAME: 'octo' };

    const own = await bash(step.run!, { ...base, RUNNER_IMAGE: 'registry.example.com/acme/runner:1', REGISTRY_USERNAME: 'robot', REGISTRY_TOKEN: 'registry-secret-1' }, path);
    expect(own.code, own.stderr).toBe(0);
    const ghcr = await bash(step.run!, { ...base, RUNNER_IMAGE: 'ghcr.io/acme/runner:1' }, path);
    expect(ghcr.code, ghcr.stderr).toBe(0);
    const publicElsewhere = await bash(step.run!, { ...base, RUNNER_IMAGE: 'registry.fly.io/acme:1' }, path);
    expect(publicElsewhere.code, publicElsewhere.stderr).toBe(0);
    const noUser = await bash(step.run!, { ...base, RUNNER_IMAGE: 'registry.example.com/acme/runner:1', REGISTRY_TOKEN: 'registry-secret-1' }, path);
    expect(noUser.code).toBe(1);
    expect(noUser.stdout).toContain('AI_IMPLEMENT_REGISTRY_USERNAME');

    const lines = readFileSync(log, 'utf8').trim().split('\n');
    expect(lines.map((l) => l.replace(/ config=\S+/, ''))).toEqual([
      'args=login registry.example.com --username robot --password-stdin stdin=registry-secret-1',
      'args=pull --quiet registry.example.com/acme/runner:1 stdin=',
      'args=login ghcr.io --username octo --password-stdin stdin=ghs_jobtoken',
      'args=pull --quiet ghcr.io/acme/runner:1 stdin=',
      'args=pull --quiet registry.fly.io/acme:1 stdin=',
    ]);
    // Secrets never reach the command line or the step's output, and the config directory is gone.
    for (const run of [own, ghcr, publicElsewhere, noUser]) expect(run.stdout + run.stderr).not.toMatch(/registry-secret-1|ghs_jobtoken/);
    for (const line of lines) expect(line.split(' stdin=')[0]).not.toMatch(/registry-secret-1|ghs_jobtoken/);
    for (const line of lines) expect(line).toContain(`config=${runnerTemp}/ai-implement-docker.`);
    expect(readdirSync(runnerTemp)).toEqual([]);
    expect(existsSync(log)).toBe(true);
  }, 60_000);
});

describe('rendering the dispatch workflows for a project', () => {
  it('writes the image and the allow-list into the job env and leaves the rest of the file alone', async () => {
    const template = await dispatchTemplate();
    const rendered = renderWorkflowTemplate(template, { image: `registry.fly.io/acme-runner@${DIGEST}`, allowlist: ['ghcr.io/ai-implement/runner', 'registry.fly.io/'] });
    const env = (parse(rendered.content) as DispatchWorkflow).jobs.run.env;
    expect(env).toEqual({ AI_IMPLEMENT_DEFAULT_IMAGE: `registry.fly.io/acme-runner@${DIGEST}`, AI_IMPLEMENT_ALLOWED_IMAGES: 'ghcr.io/ai-implement/runner registry.fly.io/' });
    const changed = rendered.content.split('\n').filter((line, i) => line !== template.content.split('\n')[i]);
    expect(changed).toHaveLength(2);
    expect(rendered.version).toBe(template.version);
  });

  it('leaves templates without the keys as they are, and refuses an image off the list or a template that sets a key twice', async () => {
    const trigger = (await readWorkflowTemplates(REPO_ROOT)).find((t) => t.name === 'comment-trigger.yml')!;
    expect(renderWorkflowTemplate(trigger, { image: 'ghcr.io/ai-implement/runner:1', allowlist: ['ghcr.io/ai-implement/runner'] })).toBe(trigger);
    const template = await dispatchTemplate();
    expect(() => renderWorkflowTemplate(template, { image: 'ghcr.io/other/runner:1', allowlist: ['ghcr.io/ai-implement/runner'] })).toThrow(ConflictError);
    const doubled = { ...template, content: template.content.replace('      AI_IMPLEMENT_ALLOWED_IMAGES: "ghcr.io/ai-implement/runner"', '      AI_IMPLEMENT_ALLOWED_IMAGES: "a"\n      AI_IMPLEMENT_ALLOWED_IMAGES: "b"') };
    expect(() => renderWorkflowTemplate(doubled, { image: 'ghcr.io/ai-implement/runner:1', allowlist: ['ghcr.io/ai-implement/runner'] })).toThrow(/exactly once/);
  });
});
