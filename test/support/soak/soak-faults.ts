/**
 * The soak's fault plan: what each runner job does, drawn from a seeded
 * generator keyed by the ticket and the job's ordinal for that ticket — not
 * by run id (random) or by arrival order (timing) — so the same seed gives
 * the same faults on every run and every machine.
 */

/** How one runner job ends. */
export type JobFate =
  /** Opens (or reuses) the PR and posts a succeeded result. */
  | 'success'
  /** The agent fails: a failed result with its reason. Not a fault of the system; it is what a clear failure looks like. */
  | 'agent-failure'
  /** The work is done and the PR opened, but the result callback never arrives; the job ends `success` upstream. */
  | 'lost-result'
  /** The runner is killed mid-job: no PR, no result; the job ends `failure` or `cancelled` upstream (see `killedAs`). */
  | 'killed';

export interface JobPlan {
  fate: JobFate;
  /** Simulated minutes from start to the job's end. */
  minutes: number;
  /** The same result posted twice (a retrying HTTP client): the second must get 409. */
  duplicateResult: boolean;
  /** A progress report that arrives after the result: it must get 409 and change nothing. */
  progressAfterResult: boolean;
  /**
   * How GitHub concludes a killed job: `failure` when the runner process died
   * or lost contact, `cancelled` when the job hit its `timeout-minutes` (the
   * implement template sets 120) or someone cancelled it on GitHub.
   */
  killedAs: 'failure' | 'cancelled';
  /** GitHub's `workflow_run.completed` delivery for this job never arrives. */
  webhookLost: boolean;
  /** GitHub delivers the same `workflow_run.completed` twice (a redelivery): the inbox must handle it once. */
  webhookDuplicated: boolean;
  /**
   * The result reaches the orchestrator only after the job's end was reported
   * (the runner's last POST stalled in flight): the run was settled as lost,
   * so the late result must get 409 and the retry must reuse the PR.
   */
  resultAfterJobEnd: boolean;
}

export interface SoakRates {
  agentFailure: number;
  lostResult: number;
  killed: number;
  duplicateResult: number;
  progressAfterResult: number;
  killedAsCancelled: number;
  webhookLost: number;
  webhookDuplicated: number;
  resultAfterJobEnd: number;
  /** Every n-th `workflow_dispatch` POST is answered 502 without being applied. */
  dispatch502Every: number;
  /** Every n-th `workflow_dispatch` POST is applied, then its connection cut (an ambiguous failure). */
  dispatchDropEvery: number;
  /** Job length, uniform in [min, max] simulated minutes. */
  minMinutes: number;
  maxMinutes: number;
}

export const DEFAULT_SOAK_RATES: SoakRates = {
  agentFailure: 0.1,
  lostResult: 0.05,
  killed: 0.05,
  duplicateResult: 0.05,
  progressAfterResult: 0.05,
  killedAsCancelled: 0.5,
  webhookLost: 0.4,
  webhookDuplicated: 0.05,
  resultAfterJobEnd: 0.02,
  dispatch502Every: 25,
  dispatchDropEvery: 20,
  minMinutes: 1,
  maxMinutes: 4,
};

/** The plan of the `ordinal`-th job (1-based) that ran for `identifier`. */
export function planJob(seed: number, identifier: string, ordinal: number, rates: SoakRates): JobPlan {
  const next = mulberry32(hashString(`${seed}:${identifier}:${ordinal}`));
  const roll = next();
  const fate: JobFate =
    roll < rates.agentFailure
      ? 'agent-failure'
      : roll < rates.agentFailure + rates.lostResult
        ? 'lost-result'
        : roll < rates.agentFailure + rates.lostResult + rates.killed
          ? 'killed'
          : 'success';
  const span = rates.maxMinutes - rates.minMinutes + 1;
  return {
    fate,
    minutes: rates.minMinutes + Math.floor(next() * span),
    duplicateResult: next() < rates.duplicateResult,
    progressAfterResult: next() < rates.progressAfterResult,
    killedAs: next() < rates.killedAsCancelled ? 'cancelled' : 'failure',
    webhookLost: next() < rates.webhookLost,
    webhookDuplicated: next() < rates.webhookDuplicated,
    resultAfterJobEnd: next() < rates.resultAfterJobEnd,
  };
}

function hashString(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

/** A small, well-mixed 32-bit generator: enough for fault draws, and reproducible. */
function mulberry32(state: number): () => number {
  let a = state;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
