import { readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { parse } from 'yaml';
import { listRunnerCatalog, type CatalogStatus, type RunnerRoots } from '../runner/index.js';

export interface PipelineView {
  name: string;
  status: CatalogStatus;
  /** The file in effect. */
  path: string;
  builtInPath?: string;
  customPath?: string;
  error?: string;
  /** Steps in order with the module each uses. */
  steps: Array<{ id: string; uses: string; if?: string }>;
}

export interface StepModuleView {
  id: string;
  status: CatalogStatus;
  builtInPath?: string;
  customPath?: string;
}

export interface PipelinesAndSteps {
  pipelines: PipelineView[];
  steps: StepModuleView[];
}

/** Paths for display: relative to the project root, `/`-separated. */
function display(roots: RunnerRoots, path: string): string {
  return relative(roots.projectRoot, path).split(sep).join('/');
}

/**
 * The steps a pipeline file lists, read leniently: a broken file already
 * carries its error from the catalog, and the panel still shows what it can.
 */
async function stepsOf(path: string): Promise<PipelineView['steps']> {
  try {
    const doc = parse(await readFile(path, 'utf8')) as { steps?: unknown };
    if (!Array.isArray(doc?.steps)) return [];
    return doc.steps
      .filter((s): s is Record<string, unknown> => typeof s === 'object' && s !== null)
      .map((s) => ({ id: String(s.id ?? ''), uses: String(s.uses ?? ''), ...(typeof s.if === 'string' ? { if: s.if } : {}) }));
  } catch {
    // Unreadable or not YAML: the catalog's `error` says why; the step list stays empty.
    return [];
  }
}

/** The runner catalog as the Pipelines & steps panel shows it (never imports custom code). */
export async function listPipelinesAndSteps(roots: RunnerRoots): Promise<PipelinesAndSteps> {
  const catalog = await listRunnerCatalog(roots);
  const pipelines = await Promise.all(
    catalog.pipelines.map(async (p): Promise<PipelineView> => {
      // A broken override is not in effect (`path` falls back to the built-in), but the panel still names it.
      const custom = p.status === 'built-in' ? undefined : join(roots.customDir, 'pipelines', `${p.name}.yml`);
      const builtIn = p.status === 'built-in' ? p.path : p.builtInPath;
      return {
        name: p.name,
        status: p.status,
        path: display(roots, p.path),
        ...(builtIn ? { builtInPath: display(roots, builtIn) } : {}),
        ...(custom ? { customPath: display(roots, custom) } : {}),
        ...(p.error ? { error: p.error } : {}),
        steps: await stepsOf(p.path),
      };
    }),
  );
  const steps = catalog.steps.map((s): StepModuleView => {
    const builtIn = s.status === 'built-in' ? s.path : s.builtInPath;
    const custom = s.status === 'built-in' ? undefined : s.path;
    return { id: s.id, status: s.status, ...(builtIn ? { builtInPath: display(roots, builtIn) } : {}), ...(custom ? { customPath: display(roots, custom) } : {}) };
  });
  return { pipelines, steps };
}
