import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderConfigTable } from '../../src/config/render-config-table.js';
import { renderRuntimeTable } from '../../src/runner/runtimes/render-runtime-table.js';

function section(readme: string, name: string): string {
  return readme.slice(readme.indexOf(`<!-- ${name}:start -->`) + `<!-- ${name}:start -->`.length, readme.indexOf(`<!-- ${name}:end -->`)).trim();
}

describe('README configuration table', () => {
  it('is exactly the table generated from the config schema (run `npm run docs` after changing the schema)', () => {
    const readme = readFileSync('README.md', 'utf8');
    const section = readme.slice(readme.indexOf('<!-- config:start -->') + '<!-- config:start -->'.length, readme.indexOf('<!-- config:end -->')).trim();
    expect(section).toBe(renderConfigTable());
  });

  it('shows the agent runtime table generated from the runtime table and the adapters (run `npm run docs` after changing them)', () => {
    expect(section(readFileSync('README.md', 'utf8'), 'runtimes')).toBe(renderRuntimeTable());
  });

  it('shows the two quick-start commands', () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm install && npm test');
  });
});
