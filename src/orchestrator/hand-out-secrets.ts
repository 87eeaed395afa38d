import type { Logger } from 'pino';
import type { Mapping } from '../domain/mapping.js';
import type { RunnerSecrets, RunnerTokenClaims } from '../domain/runner-protocol.js';
import type { Store } from '../store/store.js';
import { requireCurrentRun } from './record-progress.js';
import { RunnerRefusal } from './runner-tokens.js';

export interface RunSecretsHandoutOptions {
  store: Store;
  log: Logger;
  /** The broker: the mapping's secrets in clear (global ones overridden by the mapping's own); it registers each with the redactor. */
  valuesFor: (mapping: Mapping) => Promise<Record<string, string>>;
}

export interface RunSecretsHandout {
  handOut(claims: RunnerTokenClaims): Promise<RunnerSecrets>;
}

/** The statuses a runner works in: before them it has no job, after them no use for a key. */
const WORKING = new Set(['launching', 'running']);

/**
 * Hands a GitHub Actions job its mapping's secrets, for the run's lifetime
 * only: the current attempt, while dispatched or running. A Fly machine or
 * a local child got them when it was created, so it is refused here (a
 * leaked token of such a run opens nothing more).
 */
export function createRunSecretsHandout(options: RunSecretsHandoutOptions): RunSecretsHandout {
  const { store, log } = options;
  return {
    async handOut(claims) {
      const run = await requireCurrentRun(store, claims);
      if (!WORKING.has(run.status)) throw new RunnerRefusal('not-dispatched', `Run ${run.id} is ${run.status}, not dispatched or running`);
      if (run.backend !== 'github-actions') {
        throw new RunnerRefusal('secrets-elsewhere', `Run ${run.id} runs on ${run.backend}, whose runner received its secrets when it was started`);
      }
      const mapping = await store.mappings.get(run.mappingKey);
      if (!mapping) throw new RunnerRefusal('mapping-missing', `The project ${run.mappingKey} of run ${run.id} no longer exists`);
      let env: Record<string, string>;
      try {
        env = await options.valuesFor(mapping);
      } catch (error) {
        throw new RunnerRefusal('secrets-unavailable', `The secrets of ${mapping.teamKey} cannot be handed out: ${(error as Error).message}`, 300);
      }
      log.info({ runId: run.id, attempt: run.attempt, names: Object.keys(env).sort() }, 'secrets handed to runner');
      return { env };
    },
  };
}
