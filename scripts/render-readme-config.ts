// `npm run docs`: rewrites the generated tables in README.md: configuration (from the config schema)
// and agent runtimes (from the runtime table and the adapters' own argument builders).
import { readFileSync, writeFileSync } from 'node:fs';
import { renderConfigTable } from '../src/config/render-config-table.js';
import { renderRuntimeTable } from '../src/runner/runtimes/render-runtime-table.js';

function replaceSection(readme: string, name: string, body: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const from = readme.indexOf(start);
  const to = readme.indexOf(end);
  if (from < 0 || to < from) throw new Error(`README.md has no ${start} … ${end} section`);
  return `${readme.slice(0, from + start.length)}\n${body}\n${readme.slice(to)}`;
}

let readme = readFileSync('README.md', 'utf8');
readme = replaceSection(readme, 'config', renderConfigTable());
readme = replaceSection(readme, 'runtimes', renderRuntimeTable());
writeFileSync('README.md', readme);
