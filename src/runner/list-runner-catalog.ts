import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { builtInPipelinePath, customPipelinePath } from './load-pipeline.js';
import { findCustomStepFiles, type CatalogStatus } from './load-step-modules.js';
import { parsePipeline } from './parse-pipeline.js';
import type { RunnerRoots } from './runner-roots.js';
import { BUILT_IN_STEPS, builtInStepPath } from './steps/index.js';

export interface CatalogPipeline {
  name: string;
  status: CatalogStatus;
  /** The file in effect (the custom one unless it is broken and a built-in exists). */
  path: string;
  /** The built-in a custom pipeline shadows. */
  builtInPath?: string;
  /** Why the file at `path` or the override cannot be used; a broken override falls back to `builtInPath`. */
  error?: string;
}

export interface CatalogStep {
  id: string;
  status: CatalogStatus;
  path: string;
  builtInPath?: string;
}

export interface RunnerCatalog {
  pipelines: CatalogPipeline[];
  steps: CatalogStep[];
}

async function ymlNames(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((n) => n.endsWith('.yml')).map((n) => n.slice(0, -'.yml'.length));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/**
 * What the runner would use, for the admin API: every pipeline and step module
 * with its status and path. Reads and validates files but never imports custom
 * code, so listing is safe to call from the orchestrator process.
 */
export async function listRunnerCatalog(roots: RunnerRoots): Promise<RunnerCatalog> {
  const customSteps = await findCustomStepFiles(roots);
  const steps: CatalogStep[] = Object.keys(BUILT_IN_STEPS).map((id) => ({ id, status: 'built-in', path: builtInStepPath(id) }));
  for (const [id, files] of customSteps) {
    const path = files[0];
    if (!path) continue;
    const existing = steps.find((s) => s.id === id);
    if (existing) Object.assign(existing, { status: 'override', path, builtInPath: existing.path });
    else steps.push({ id, status: 'additive', path });
  }
  const knownSteps = new Set(steps.map((s) => s.id));
  const builtIn = new Set(await ymlNames(join(roots.projectRoot, 'pipelines')));
  const custom = new Set(await ymlNames(join(roots.customDir, 'pipelines')));
  const pipelines: CatalogPipeline[] = [];
  for (const name of [...new Set([...builtIn, ...custom])].sort()) {
    const builtInPath = builtInPipelinePath(roots, name);
    const validate = async (path: string): Promise<string | undefined> => {
      try {
        parsePipeline(path, await readFile(path, 'utf8'), knownSteps);
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    };
    if (!custom.has(name)) {
      const error = await validate(builtInPath);
      pipelines.push({ name, status: 'built-in', path: builtInPath, ...(error ? { error } : {}) });
      continue;
    }
    const customPath = customPipelinePath(roots, name);
    const error = await validate(customPath);
    const status: CatalogStatus = builtIn.has(name) ? 'override' : 'additive';
    const inEffect = error && builtIn.has(name) ? builtInPath : customPath;
    pipelines.push({ name, status, path: inEffect, ...(builtIn.has(name) ? { builtInPath } : {}), ...(error ? { error } : {}) });
  }
  return { pipelines, steps: steps.sort((a, b) => a.id.localeCompare(b.id)) };
}
