import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';
import ts from 'typescript';

/** One import of one source file: `target` is a path under src/ for our own modules, else the package name. */
export interface ImportEdge {
  from: string;
  target: string;
  own: boolean;
}

export interface Rule {
  name: string;
  /** The files the rule is about (paths relative to the repository root, `src/...`). */
  applies: (file: string) => boolean;
  /** True when the import breaks the rule. */
  forbids: (edge: ImportEdge) => boolean;
}

const under = (...folders: string[]) => (file: string) => folders.some((f) => file === f || file.startsWith(`${f}/`));
const WIRING = ['src/app.ts', 'src/services.ts', 'src/main.ts'];
const ADAPTERS = under('src/trackers', 'src/runners', 'src/store', 'src/github/api');
const ORCHESTRATION = under('src/orchestrator', 'src/admin', 'src/operations', 'src/http', 'src/github');
/** A vendor SDK and the one adapter folder allowed to import it. */
const VENDORS: [pkg: RegExp, home: (file: string) => boolean][] = [
  [/^fly-admin(\/|$)/, under('src/runners/fly')],
  [/^@linear\/sdk(\/|$)/, under('src/trackers/linear')],
  [/^jira\.js(\/|$)/, under('src/trackers/jira')],
  [/^lowdb(\/|$)/, under('src/store/lowdb')],
  // node-postgres and its parts (pg-pool, pg-protocol, pg-types).
  [/^pg(-[a-z]+)?(\/|$)/, under('src/store/postgres')],
  [/^probot(\/|$)/, under('src/github')],
  // Probot's event layer: the webhook handlers, not the REST adapter.
  [/^@octokit\/webhooks(\/|$)/, under('src/github')],
  // The runner CLI is a program of its own and talks to GitHub with its own client.
  [/^@octokit\/(?!webhooks)/, under('src/github/api', 'src/runners/github-actions', 'src/runner')],
  [/^express(\/|$)/, under('src/http')],
];

/**
 * The layers, as DESIGN.md and the folder READMEs describe them: the domain
 * is pure, adapters keep their vendor inside and know nothing of the run
 * loop, nothing reaches up into the wiring, the runner CLI carries no server
 * code, and the emulators serve only sandbox mode and tests.
 */
export const RULES: Rule[] = [
  { name: 'domain/ imports nothing of ours outside domain/, and of packages only zod', applies: under('src/domain'), forbids: (e) => (e.own ? !under('src/domain')(e.target) : e.target !== 'zod') },
  { name: 'errors/ imports nothing of ours', applies: under('src/errors'), forbids: (e) => e.own && !under('src/errors')(e.target) },
  { name: 'adapters (trackers/, runners/, store/, github/api/) do not import orchestration or operator code', applies: ADAPTERS, forbids: (e) => e.own && ORCHESTRATION(e.target) && !ADAPTERS(e.target) },
  { name: 'the run loop (orchestrator/) imports no trigger, operator or HTTP code', applies: under('src/orchestrator'), forbids: (e) => e.own && under('src/http', 'src/admin', 'src/operations', 'src/github')(e.target) && !under('src/github/api')(e.target) },
  { name: 'the triggers and operator code (github/, admin/, operations/) import no HTTP code', applies: under('src/github', 'src/admin', 'src/operations'), forbids: (e) => e.own && under('src/http')(e.target) },
  { name: 'nothing imports the wiring (app.ts, services.ts) but the entry point', applies: (f) => f !== 'src/main.ts', forbids: (e) => e.own && WIRING.includes(e.target) && !(e.from === 'src/app.ts' && e.target === 'src/services.ts') },
  { name: 'the runner CLI (runner/) imports no server code', applies: under('src/runner'), forbids: (e) => e.own && (ORCHESTRATION(e.target) || under('src/store', 'src/runners', 'src/trackers')(e.target) || WIRING.includes(e.target)) },
  { name: 'only the wiring and the emulators import sandbox/', applies: (f) => !under('src/sandbox')(f) && !WIRING.includes(f), forbids: (e) => e.own && under('src/sandbox')(e.target) },
  ...VENDORS.map(([pkg, home]): Rule => ({ name: `only its adapter imports ${pkg.source}`, applies: (f) => !home(f) && !under('src/sandbox')(f), forbids: (e) => !e.own && pkg.test(e.target) })),
];

export interface Violation {
  rule: string;
  from: string;
  target: string;
}

export function checkImports(edges: readonly ImportEdge[], rules: readonly Rule[] = RULES): Violation[] {
  const out: Violation[] = [];
  for (const edge of edges) for (const rule of rules) if (rule.applies(edge.from) && rule.forbids(edge)) out.push({ rule: rule.name, from: edge.from, target: edge.target });
  return out;
}

/** The imports of one file (static, re-exports, `import()` and `import type`) as edges. */
export function importsOf(file: string, text: string): ImportEdge[] {
  const info = ts.preProcessFile(text, true, true);
  return info.importedFiles.map(({ fileName }) => {
    if (!fileName.startsWith('.')) return { from: file, target: fileName, own: false };
    const resolved = posix.normalize(posix.join(posix.dirname(file), fileName)).replace(/\.js$/, '.ts');
    return { from: file, target: resolved, own: true };
  });
}

/** Every import of every `.ts` file under `src/`. */
export function importGraph(root: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) edges.push(...importsOf(relative(root, path).split(sep).join('/'), readFileSync(path, 'utf8')));
    }
  };
  walk(join(root, 'src'));
  return edges;
}

export const repoRoot = join(dirname(new URL(import.meta.url).pathname), '..', '..');
