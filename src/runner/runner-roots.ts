import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the runner finds built-in pipelines and operator overrides; injected so tests can use temp dirs. */
export interface RunnerRoots {
  /** Holds `pipelines/` (and `workflow-templates/`). */
  projectRoot: string;
  /** Holds `pipelines/` and `steps/` overrides; `<projectRoot>/custom` by default. */
  customDir: string;
  /**
   * Where `tsc` put compiled custom steps (`dist/custom` in this repository's
   * build), searched for `<id>.js` when the source override is TypeScript and
   * the runner runs under plain node.
   */
  compiledCustomDir?: string;
}

/** Walks up from this file to the directory holding `pipelines/` and `package.json` (the repo root, or /app in the image). */
export function findProjectRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, 'pipelines')) && existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no pipelines/ directory above ${from}`);
    dir = parent;
  }
}

export function defaultRunnerRoots(projectRoot: string = findProjectRoot(), customDir?: string): RunnerRoots {
  return {
    projectRoot,
    customDir: customDir ?? join(projectRoot, 'custom'),
    compiledCustomDir: join(projectRoot, 'dist', 'custom'),
  };
}
