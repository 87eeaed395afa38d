import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CatalogStatus } from './load-step-modules.js';
import { PipelineError, parsePipeline } from './parse-pipeline.js';
import { NAME_PATTERN, type Pipeline } from './pipeline-schema.js';
import type { RunnerLog } from './runner-log.js';
import type { RunnerRoots } from './runner-roots.js';

export interface LoadedPipeline {
  name: string;
  pipeline: Pipeline;
  status: CatalogStatus;
  path: string;
}

export function builtInPipelinePath(roots: RunnerRoots, name: string): string {
  return join(roots.projectRoot, 'pipelines', `${name}.yml`);
}

export function customPipelinePath(roots: RunnerRoots, name: string): string {
  return join(roots.customDir, 'pipelines', `${name}.yml`);
}

async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Loads a pipeline by name: `custom/pipelines/<name>.yml` first, then
 * `pipelines/<name>.yml`. A broken override is reported and the built-in used;
 * a broken built-in or a broken additive pipeline has nothing to fall back to
 * and throws a PipelineError naming file and line.
 */
export async function loadPipeline(
  name: string,
  roots: RunnerRoots,
  knownSteps: ReadonlySet<string>,
  log: RunnerLog,
): Promise<LoadedPipeline> {
  if (!NAME_PATTERN.test(name)) throw new PipelineError(name, undefined, undefined, 'pipeline names are lower-case letters, digits and dashes');
  const builtInPath = builtInPipelinePath(roots, name);
  const customPath = customPipelinePath(roots, name);
  const [builtInText, customText] = await Promise.all([readIfPresent(builtInPath), readIfPresent(customPath)]);
  if (customText !== undefined) {
    try {
      const pipeline = parsePipeline(customPath, customText, knownSteps);
      return { name, pipeline, status: builtInText === undefined ? 'additive' : 'override', path: customPath };
    } catch (error) {
      if (!(error instanceof PipelineError) || builtInText === undefined) throw error;
      log.warn('custom pipeline ignored, using the built-in', { pipeline: name, reason: error.message, fallback: builtInPath });
    }
  }
  if (builtInText === undefined) {
    throw new PipelineError(builtInPath, undefined, undefined, `no pipeline "${name}" (looked in ${customPath} too)`);
  }
  return { name, pipeline: parsePipeline(builtInPath, builtInText, knownSteps), status: 'built-in', path: builtInPath };
}
