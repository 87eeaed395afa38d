import { readFile } from 'node:fs/promises';
import { defaultRunnerRoots, listRunnerCatalog, type RunnerCatalog } from '../../runner/index.js';
import { parsePipeline } from '../../runner/parse-pipeline.js';
import type { PipelineStep } from '../../runner/pipeline-schema.js';

export interface CatalogPipelineDetail {
  name: string;
  description: string;
  steps: PipelineStep[];
  error?: string;
}

export interface CatalogReader {
  catalog(): Promise<RunnerCatalog>;
  /** The steps of the pipeline in effect for a phase, for the run page's checklist and progress bar. */
  pipeline(name: string): Promise<CatalogPipelineDetail | undefined>;
}

/**
 * Reads pipelines and step modules from disk, kept for a few seconds: the
 * files change only when an operator edits custom/, and a panel render must
 * not re-read and re-parse every YAML file.
 */
export function createCatalogReader(projectRoot: string, clock: () => number, ttlMs = 10_000): CatalogReader {
  const roots = defaultRunnerRoots(projectRoot);
  let cached: { at: number; catalog: Promise<RunnerCatalog>; pipelines: Map<string, Promise<CatalogPipelineDetail | undefined>> } | undefined;
  const fresh = () => {
    if (!cached || clock() - cached.at > ttlMs) {
      const catalog = listRunnerCatalog(roots);
      // A failed read is not remembered: the next request tries again.
      catalog.catch(() => {
        cached = undefined;
      });
      cached = { at: clock(), catalog, pipelines: new Map() };
    }
    return cached;
  };
  const readPipeline = async (entry: { catalog: Promise<RunnerCatalog> }, name: string): Promise<CatalogPipelineDetail | undefined> => {
    const found = (await entry.catalog).pipelines.find((p) => p.name === name);
    if (!found) return undefined;
    try {
      const parsed = parsePipeline(found.path, await readFile(found.path, 'utf8'));
      return { name, description: parsed.description ?? '', steps: parsed.steps, ...(found.error ? { error: found.error } : {}) };
    } catch (error) {
      return { name, description: '', steps: [], error: (error as Error).message };
    }
  };
  return {
    catalog: () => fresh().catalog,
    pipeline: (name) => {
      const entry = fresh();
      let detail = entry.pipelines.get(name);
      if (!detail) {
        detail = readPipeline(entry, name);
        entry.pipelines.set(name, detail);
      }
      return detail;
    },
  };
}
