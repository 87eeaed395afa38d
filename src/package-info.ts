import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project root (where package.json, views/, pipelines/ live), found by
 * walking up from this file: it is `src/` when run from source and
 * `dist/src/` when compiled.
 */
export function findProjectRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate) && (JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string }).name === 'ai-implement') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`package.json of ai-implement not found above ${from}`);
    dir = parent;
  }
}

export function readPackageVersion(root = findProjectRoot()): string {
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
}
