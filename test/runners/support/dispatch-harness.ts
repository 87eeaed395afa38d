import type { Mapping } from '../../../src/domain/mapping.js';
import type { Run, RunBackend } from '../../../src/domain/run.js';
import type { DispatchDeps } from '../../../src/orchestrator/dispatch-deps.js';
import type { RunnerBackend } from '../../../src/runners/runner-backend.js';
import { createMemoryStore } from '../../../src/store/memory/create-memory-store.js';
import type { Store } from '../../../src/store/store.js';
import { createTestLogger } from '../../support/test-logger.js';
import { FixedTokenIssuer, ORCHESTRATOR_URL } from './runner-fixtures.js';

export interface DispatchHarness {
  store: Store;
  deps: DispatchDeps;
  tokens: FixedTokenIssuer;
  /** Moves the shared fake clock (store and dispatcher) forward. */
  advance: (ms: number) => void;
  claim: (n: number, backend: RunBackend, prefix?: string) => Promise<Run[]>;
  logLines: string[];
}

/** A memory store and dispatcher deps sharing one fake clock; lookups back off for a few ms only. */
export async function createDispatchHarness(mapping: Mapping, backends: Partial<Record<RunBackend, RunnerBackend>>, secrets: Record<string, string> = {}): Promise<DispatchHarness> {
  let now = Date.now();
  const clock = (): number => now;
  const store = createMemoryStore({ clock });
  await store.open();
  await store.mappings.upsert(mapping);
  const tokens = new FixedTokenIssuer();
  const { log, lines } = createTestLogger(undefined, 'info');
  const deps: DispatchDeps = {
    store,
    backends,
    tokens,
    clock,
    log,
    orchestratorUrl: ORCHESTRATOR_URL,
    secretsFor: async (m) => (m.teamKey === mapping.teamKey ? secrets : {}),
    policy: { lookupAttempts: 3, lookupBackoffMs: 5, maxAttempts: 10 },
    inFlight: new Set(),
  };
  const claim = async (n: number, backend: RunBackend, prefix = 'run'): Promise<Run[]> => {
    const runs: Run[] = [];
    for (let i = 0; i < n; i++) {
      const result = await store.runs.claimTicket({
        id: `${prefix}_${i}`,
        issueId: `${prefix}-issue-${i}`,
        identifier: `${mapping.teamKey}-${i}`,
        tracker: 'linear',
        mappingKey: mapping.teamKey,
        phase: 'implement',
        backend,
        runnerMode: 'default',
        triggerSource: 'poll',
      });
      if (!result.claimed) throw new Error(`claim ${i} lost`);
      runs.push(result.run);
    }
    return runs;
  };
  return { store, deps, tokens, advance: (ms) => (now += ms), claim, logLines: lines };
}

/** Runs `fn` over items with at most `limit` calls open at once. */
export async function inParallel<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}
