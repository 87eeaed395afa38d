import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { AGENT_RUNTIMES, type RunnerRoots } from '../runner/index.js';
import { BUILT_IN_STEPS } from '../runner/steps/index.js';

export type CustomizationCategory = 'pipeline' | 'step' | 'provider' | 'other';
/** `—` for files the runner does not load (category `other`). */
export type CustomizationStatus = 'override' | 'additive' | '—';

export interface Customization {
  /** Relative to the project root, `/`-separated: `custom/steps/verify.ts`. */
  path: string;
  category: CustomizationCategory;
  status: CustomizationStatus;
  /** The built-in file this one shadows (override only), relative to the project root. */
  shadows?: string;
  size: number;
  modifiedAt: string;
}

/** Upstream owns these inside custom/ (the protect-custom rule allows them), so they are not customizations. */
const UPSTREAM_FILES = new Set(['README.md', '.gitkeep']);
const MODULE_FILE = /^([a-z0-9][a-z0-9-]{0,62})\.(ts|js)$/;

async function walk(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await walk(path)));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

function toPosix(path: string): string {
  return path.split(sep).join('/');
}

/**
 * Where an agent runtime lives in the source tree: its own module when it
 * has one (claude-code.ts), else the shared module of the other CLIs.
 */
function builtInRuntimePath(projectRoot: string, id: string): string {
  const own = `src/runner/runtimes/${id}.ts`;
  return existsSync(join(projectRoot, own)) ? own : 'src/runner/runtimes/other-cli-runtimes.ts';
}

/** Classifies one file under custom/ by where it sits (the runner's own lookup rules). */
function classify(roots: RunnerRoots, relPath: string): Pick<Customization, 'category' | 'status' | 'shadows'> {
  const parts = relPath.split('/');
  const [folder, name] = parts;
  if (parts.length === 2 && folder === 'pipelines' && name?.endsWith('.yml')) {
    const builtIn = `pipelines/${name}`;
    return existsSync(join(roots.projectRoot, builtIn)) ? { category: 'pipeline', status: 'override', shadows: builtIn } : { category: 'pipeline', status: 'additive' };
  }
  const module = name ? MODULE_FILE.exec(name) : null;
  if (parts.length === 2 && folder === 'steps' && module && !/\.(d|test|spec)\.ts$/.test(name ?? '')) {
    const id = module[1] ?? '';
    return id in BUILT_IN_STEPS ? { category: 'step', status: 'override', shadows: `src/runner/steps/${id}.ts` } : { category: 'step', status: 'additive' };
  }
  if (parts.length === 2 && (folder === 'providers' || folder === 'runtimes') && module) {
    const id = module[1] ?? '';
    return AGENT_RUNTIMES.has(id) ? { category: 'provider', status: 'override', shadows: builtInRuntimePath(roots.projectRoot, id) } : { category: 'provider', status: 'additive' };
  }
  return { category: 'other', status: '—' };
}

/** Every operator file under custom/, with what it overrides or adds; sorted by path. */
export async function listCustomizations(roots: RunnerRoots): Promise<Customization[]> {
  const out: Customization[] = [];
  for (const file of await walk(roots.customDir)) {
    const inCustom = toPosix(relative(roots.customDir, file));
    const base = inCustom.split('/').pop() ?? '';
    if (UPSTREAM_FILES.has(base) && (inCustom === 'README.md' || base === '.gitkeep')) continue;
    const info = await stat(file);
    out.push({
      path: `custom/${inCustom}`,
      ...classify(roots, inCustom),
      size: info.size,
      modifiedAt: info.mtime.toISOString(),
    });
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}
