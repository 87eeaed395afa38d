import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { NAME_PATTERN } from './pipeline-schema.js';
import type { RunnerLog } from './runner-log.js';
import type { RunnerRoots } from './runner-roots.js';
import type { StepModule } from './step-types.js';
import { BUILT_IN_STEPS, builtInStepPath } from './steps/index.js';

export type CatalogStatus = 'built-in' | 'override' | 'additive';

export interface LoadedStep {
  id: string;
  module: StepModule;
  status: CatalogStatus;
  path: string;
}

/** This file itself is TypeScript only when a TS loader (tsx) runs us, which is when `.ts` overrides can be imported. */
const RUNNING_TYPESCRIPT = import.meta.url.endsWith('.ts');

function isStepFile(name: string): boolean {
  return /\.(ts|js)$/.test(name) && !/\.(d|test|spec)\.ts$/.test(name) && NAME_PATTERN.test(name.replace(/\.(ts|js)$/, ''));
}

/** Custom step ids found on disk, each with the files that could provide it, best first for this process. */
export async function findCustomStepFiles(roots: RunnerRoots): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>();
  const stepsDir = join(roots.customDir, 'steps');
  let names: string[] = [];
  try {
    names = await readdir(stepsDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  for (const id of new Set(names.filter(isStepFile).map((n) => n.replace(/\.(ts|js)$/, '')))) {
    const ts = join(stepsDir, `${id}.ts`);
    const js = join(stepsDir, `${id}.js`);
    const compiled = roots.compiledCustomDir ? join(roots.compiledCustomDir, 'steps', `${id}.js`) : undefined;
    const order = RUNNING_TYPESCRIPT ? [ts, js, compiled] : [js, compiled, ts];
    found.set(id, order.filter((p): p is string => p !== undefined && existsSync(p)));
  }
  return found;
}

function asStepModule(value: unknown): StepModule | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const candidate = value as Record<string, unknown>;
  if (typeof candidate.run !== 'function') return undefined;
  if (candidate.title !== undefined && typeof candidate.title !== 'string') return undefined;
  return candidate as unknown as StepModule;
}

async function importStep(path: string): Promise<StepModule> {
  const loaded: unknown = await import(pathToFileURL(path).href);
  const module = asStepModule((loaded as { default?: unknown }).default);
  if (!module) throw new Error('default export must be an object with a run(ctx) function (and an optional string title)');
  return module;
}

/**
 * Built-in step modules plus `custom/steps/` overrides and additions. A custom
 * module that fails to import or has the wrong shape is reported and skipped,
 * so the built-in of the same id stays in effect.
 */
export async function loadStepModules(
  roots: RunnerRoots,
  log: RunnerLog,
  builtIns: Readonly<Record<string, StepModule>> = BUILT_IN_STEPS,
): Promise<Map<string, LoadedStep>> {
  const steps = new Map<string, LoadedStep>();
  for (const [id, module] of Object.entries(builtIns)) steps.set(id, { id, module, status: 'built-in', path: builtInStepPath(id) });
  for (const [id, candidates] of await findCustomStepFiles(roots)) {
    for (const path of candidates) {
      try {
        const module = await importStep(path);
        steps.set(id, { id, module, status: id in builtIns ? 'override' : 'additive', path });
        break;
      } catch (error) {
        log.warn('custom step module ignored', {
          step: id,
          path,
          reason: (error as Error).message.split('\n')[0],
          fallback: id in builtIns ? 'built-in' : 'none',
        });
      }
    }
  }
  return steps;
}
