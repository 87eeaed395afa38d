import { describe, expect, it } from 'vitest';
import { checkImports, importGraph, importsOf, repoRoot } from './import-rules.js';

describe('the dependency rule over the import graph of src/', () => {
  it('holds for every import in the tree', () => {
    const edges = importGraph(repoRoot);
    expect(edges.length).toBeGreaterThan(500);
    expect(checkImports(edges)).toEqual([]);
  });

  it('catches a deliberate upward import into the wiring', () => {
    const edges = importsOf('src/http/some-route.ts', "import type { Services } from '../services.js';\nimport { x } from './sibling.js';");
    expect(checkImports(edges)).toEqual([expect.objectContaining({ from: 'src/http/some-route.ts', target: 'src/services.ts' })]);
  });

  it('catches an adapter importing orchestration, a domain file with I/O, and a vendor SDK outside its adapter', () => {
    const edges = [
      ...importsOf('src/trackers/linear/x.ts', "import { RunLoop } from '../../orchestrator/run-loop.js';"),
      ...importsOf('src/domain/y.ts', "import { readFile } from 'node:fs/promises';\nimport type { Store } from '../store/store.js';"),
      ...importsOf('src/operations/z.ts', "import type { MachineResponse } from 'fly-admin/dist/lib/machine.js';"),
      ...importsOf('src/orchestrator/w.ts', "const m = await import('../sandbox/linear/index.js');"),
      ...importsOf('src/orchestrator/v.ts', "import { x } from '../github/on-issue-comment.js';\nimport type { PullInfo } from '../github/api/pull-request-api.js';"),
      ...importsOf('src/store/core/u.ts', "import pg from 'pg';\nimport type { DatabaseError } from 'pg-protocol';"),
      ...importsOf('src/store/postgres/t.ts', "import pg from 'pg';\nimport { x } from 'pg-protocol';"),
    ];
    expect(checkImports(edges).map((v) => `${v.from} -> ${v.target}`)).toEqual([
      'src/trackers/linear/x.ts -> src/orchestrator/run-loop.ts',
      'src/domain/y.ts -> node:fs/promises',
      'src/domain/y.ts -> src/store/store.ts',
      'src/operations/z.ts -> fly-admin/dist/lib/machine.js',
      'src/orchestrator/w.ts -> src/sandbox/linear/index.ts',
      'src/orchestrator/v.ts -> src/github/on-issue-comment.ts',
      'src/store/core/u.ts -> pg',
      'src/store/core/u.ts -> pg-protocol',
    ]);
  });
});
