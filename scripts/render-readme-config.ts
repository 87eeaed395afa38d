// `npm run docs`: rewrites the configuration table in README.md from the config schema.
import { readFileSync, writeFileSync } from 'node:fs';
import { renderConfigTable } from '../src/config/render-config-table.js';

const START = '<!-- config:start -->';
const END = '<!-- config:end -->';
const readme = readFileSync('README.md', 'utf8');
const from = readme.indexOf(START);
const to = readme.indexOf(END);
if (from < 0 || to < from) throw new Error(`README.md has no ${START} … ${END} section`);
writeFileSync('README.md', `${readme.slice(0, from + START.length)}\n${renderConfigTable()}\n${readme.slice(to)}`);
