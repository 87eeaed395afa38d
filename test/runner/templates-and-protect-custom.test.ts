import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { disallowedCustomChanges } from '../../src/runner/protect-custom.js';
import { readWorkflowTemplates } from '../../src/runner/templates.js';
import { REPO_ROOT } from './support/run-cli.js';

interface WorkflowStep { run?: string; env?: Record<string, string> }
interface Workflow { permissions?: unknown; on?: unknown; 'run-name'?: string; jobs: Record<string, { permissions?: unknown; steps: WorkflowStep[] }> }

const runScripts = (wf: Workflow): string[] => Object.values(wf.jobs).flatMap((job) => job.steps.map((s) => s.run).filter((r): r is string => typeof r === 'string'));

describe('workflow templates', () => {
  it('every template carries a version marker and is listed with its target path', async () => {
    const templates = await readWorkflowTemplates(REPO_ROOT);
    expect(templates.map((t) => t.name)).toEqual(['PLANNING.md', 'WORKFLOW.md', 'claude-implement.yml', 'claude-plan.yml', 'comment-trigger.yml']);
    // The dispatch workflows moved to version 2 with the rendered image and allow-list.
    const versions = Object.fromEntries(templates.map((t) => [t.name, t.version]));
    expect(versions).toEqual({ 'PLANNING.md': 1, 'WORKFLOW.md': 1, 'claude-implement.yml': 2, 'claude-plan.yml': 2, 'comment-trigger.yml': 1 });
    expect(templates.find((t) => t.name === 'claude-plan.yml')!.targetPath).toBe('.github/workflows/claude-plan.yml');
    expect(templates.find((t) => t.name === 'WORKFLOW.md')!.targetPath).toBe('WORKFLOW.md');
  });

  it('workflow YAML parses and no run: script expands ${{ }} (inputs reach scripts through env only)', async () => {
    const templates = (await readWorkflowTemplates(REPO_ROOT)).filter((t) => t.name.endsWith('.yml'));
    const files = [...templates.map((t) => ({ name: t.name, content: t.content })), { name: 'protect-custom.yml', content: await readFile(join(REPO_ROOT, '.github/workflows/protect-custom.yml'), 'utf8') }];
    for (const file of files) {
      const wf = parse(file.content) as Workflow;
      const scripts = runScripts(wf);
      expect(scripts.length, file.name).toBeGreaterThan(0);
      for (const script of scripts) {
        expect(script, file.name).not.toMatch(/\$\{\{\s*(inputs|github\.event)\./);
        expect(script, file.name).not.toContain('${{');
      }
    }
  });

  it('dispatch templates: inputs, run-name, minimal permissions, allow-listed image pulled with a scoped login, then run', async () => {
    for (const name of ['claude-implement.yml', 'claude-plan.yml']) {
      const text = await readFile(join(REPO_ROOT, 'workflow-templates', name), 'utf8');
      const wf = parse(text) as Workflow & { on: { workflow_dispatch: { inputs: Record<string, unknown> } }; jobs: { run: { env: Record<string, string> } } };
      expect(Object.keys(wf.on.workflow_dispatch.inputs).sort(), name).toEqual(['orchestrator_url', 'run_id']);
      expect(wf['run-name']).toBe('AI-Implement ${{ inputs.run_id }}');
      expect(wf.permissions).toEqual({ 'id-token': 'write', contents: 'read', packages: 'read' });
      for (const job of Object.values(wf.jobs as Workflow['jobs'])) expect(job.permissions).toBeUndefined();
      // The published defaults, replaced by the workflow sync; never read from a variable.
      expect(wf.jobs.run.env).toEqual({ AI_IMPLEMENT_DEFAULT_IMAGE: 'ghcr.io/ai-implement/runner:latest', AI_IMPLEMENT_ALLOWED_IMAGES: 'ghcr.io/ai-implement/runner' });
      const [choose, pull, run] = Object.values(wf.jobs as Workflow['jobs'])[0]!.steps as Array<WorkflowStep & { id?: string }>;
      expect(choose!.id).toBe('image');
      expect(choose!.env).toEqual({ IMAGE_OVERRIDE: '${{ vars.AI_IMPLEMENT_RUNNER_IMAGE }}' });
      expect(pull!.env).toMatchObject({ RUNNER_IMAGE: '${{ steps.image.outputs.image }}', REGISTRY_TOKEN: '${{ secrets.AI_IMPLEMENT_REGISTRY_TOKEN }}' });
      expect(pull!.run).toContain('--password-stdin');
      expect(pull!.run).not.toMatch(/echo[^\n]*\$\{?(REGISTRY_TOKEN|GITHUB_TOKEN)/);
      expect(run!.env).toEqual({ RUNNER_IMAGE: '${{ steps.image.outputs.image }}', AI_IMPLEMENT_RUN_ID: '${{ inputs.run_id }}', AI_IMPLEMENT_URL: '${{ inputs.orchestrator_url }}' });
      expect(run!.run).toContain('--pull never');
    }
  });

  it('comment trigger: PR comments from writers only, no token scopes, JSON built with jq', async () => {
    const wf = parse(await readFile(join(REPO_ROOT, 'workflow-templates', 'comment-trigger.yml'), 'utf8')) as Workflow & { jobs: { trigger: { if: string; steps: WorkflowStep[] } } };
    expect(wf.on).toEqual({ issue_comment: { types: ['created'] } });
    expect(wf.permissions).toEqual({});
    expect(wf.jobs.trigger.if).toContain("startsWith(github.event.comment.body, '/ai-implement')");
    for (const role of ['OWNER', 'MEMBER', 'COLLABORATOR']) expect(wf.jobs.trigger.if).toContain(role);
    expect(wf.jobs.trigger.if).toContain('github.event.issue.pull_request');
    const step = wf.jobs.trigger.steps[0]!;
    expect(step.env!.GAP_FILL_SECRET).toBe('${{ secrets.AI_IMPLEMENT_GAP_FILL_SECRET }}');
    expect(step.run).toContain('jq -n');
    expect(step.run).toContain('/trigger/gap-fill');
  });
});

describe('comment trigger script', () => {
  it('posts {owner, repo, prNumber, instructions, commentId} with the bearer secret, quoting hostile text safely', async () => {
    const wf = parse(await readFile(join(REPO_ROOT, 'workflow-templates', 'comment-trigger.yml'), 'utf8')) as Workflow;
    const script = runScripts(wf)[0]!;
    const received: Array<{ path: string; auth: string | undefined; body: unknown }> = [];
    const server = createServer((req, res) => {
      let text = '';
      req.on('data', (d: Buffer) => (text += d.toString()));
      req.on('end', () => {
        received.push({ path: req.url ?? '', auth: req.headers.authorization, body: JSON.parse(text) });
        res.writeHead(202).end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const hostile = '/ai-implement  also handle "quotes" and $(rm -rf /) `x` \\ done\n';
      const result = await runScript(script, {
        ORCHESTRATOR_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
        GAP_FILL_SECRET: 'gap-secret-123',
        OWNER: 'acme',
        REPO: 'widgets',
        PR_NUMBER: '7',
        COMMENT_ID: '99001',
        COMMENT_BODY: hostile,
      });
      expect(result.code, result.stderr).toBe(0);
      expect(received).toEqual([
        {
          path: '/trigger/gap-fill',
          auth: 'Bearer gap-secret-123',
          body: { owner: 'acme', repo: 'widgets', prNumber: 7, instructions: 'also handle "quotes" and $(rm -rf /) `x` \\ done', commentId: 99001 },
        },
      ]);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

function runScript(script: string, env: Record<string, string>, stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { env: { PATH: process.env.PATH ?? '', ...env }, cwd: REPO_ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

describe('protect-custom rule', () => {
  it('allows only custom/README.md and .gitkeep files under custom/', () => {
    expect(
      disallowedCustomChanges([
        'custom/README.md',
        'custom/pipelines/.gitkeep',
        'custom/steps/.gitkeep',
        'src/runner/cli.ts',
        'README.md',
        'customer/notes.md',
        'custom/pipelines/implement.yml',
        'custom/steps/notify.ts',
        'custom/.gitkeep.bak',
        'custom/steps/README.md',
        './custom/x.js',
      ]),
    ).toEqual(['custom/pipelines/implement.yml', 'custom/steps/notify.ts', 'custom/.gitkeep.bak', 'custom/steps/README.md', 'custom/x.js']);
    expect(disallowedCustomChanges([])).toEqual([]);
  });

  it('the command the workflow runs exits 1 on protected paths and 0 otherwise', async () => {
    const wf = parse(await readFile(join(REPO_ROOT, '.github/workflows/protect-custom.yml'), 'utf8')) as Workflow;
    expect(wf.on).toEqual({ pull_request: null });
    const script = runScripts(wf).find((s) => s.includes('protect-custom-cli'))!;
    // The workflow pipes `git diff` into the checker; run the same checker on a fixed list.
    const checker = script.split('|').at(-1)!.trim().replace(/^npx tsx /, `${process.execPath} --import tsx `);
    const bad = await runScript(checker, {}, 'src/a.ts\ncustom/steps/x.ts\ncustom/README.md\n');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('custom/steps/x.ts');
    expect(bad.stderr).not.toContain('custom/README.md');
    const good = await runScript(checker, {}, 'src/a.ts\ncustom/README.md\ncustom/steps/.gitkeep\n');
    expect(good.code).toBe(0);
  });
});
