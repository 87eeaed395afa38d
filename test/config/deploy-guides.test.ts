import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from '../../src/config/index.js';

const ROOT = join(import.meta.dirname, '..', '..');
const GUIDES = ['docs/deploy-fly.md', 'docs/deploy-docker.md'];
const ENV_NAME = /\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g;

/** The text of every workflow and workflow template: names a guide uses for repository variables and secrets must be read there. */
function workflowText(): string {
  return ['workflow-templates', '.github/workflows']
    .flatMap((dir) => readdirSync(join(ROOT, dir)).filter((n) => n.endsWith('.yml')).map((n) => readFileSync(join(ROOT, dir, n), 'utf8')))
    .join('\n');
}

describe('the deployment guides', () => {
  it('name only variables the orchestrator reads, or variables and secrets a workflow of ours reads', () => {
    const known = new Set(CONFIG_VARIABLES.map((v) => v.name));
    const workflows = workflowText();
    const unknown: string[] = [];
    for (const guide of GUIDES) {
      const names = new Set(readFileSync(join(ROOT, guide), 'utf8').match(ENV_NAME) ?? []);
      for (const name of names) {
        if (known.has(name)) continue;
        if (new RegExp(`\\b(vars|secrets)\\.${name}\\b`).test(workflows)) continue;
        unknown.push(`${guide}: ${name}`);
      }
    }
    expect(unknown).toEqual([]);
  });

  it('are linked from the README', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const guide of GUIDES) expect(readme).toContain(`](${guide})`);
  });

  it('describe the fly.toml the repository ships: its volume, data directory, health path and build target', () => {
    const flyToml = readFileSync(join(ROOT, 'fly.toml'), 'utf8');
    const guide = readFileSync(join(ROOT, 'docs/deploy-fly.md'), 'utf8');
    const volume = /source = "([^"]+)"/.exec(flyToml)![1]!;
    expect(guide).toContain(`fly volumes create ${volume}`);
    expect(flyToml).toContain('destination = "/data"');
    expect(flyToml).toContain('DATA_DIR = "/data"');
    expect(flyToml).toMatch(/path = "\/readyz"/);
    expect(flyToml).toMatch(/build-target = "orchestrator"/);
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    for (const target of ['orchestrator', 'runner']) expect(dockerfile).toMatch(new RegExp(`^FROM \\S+ AS ${target}$`, 'm'));
  });
});
