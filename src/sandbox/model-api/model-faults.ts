/** Which vendor wire format a request speaks. */
export type ModelApiKind = 'anthropic' | 'openai' | 'gemini';

/**
 * A fault on model calls (count-tokens and start-up probes are never faulted
 * unless `path` names them). Without `times` it applies to every matching
 * request: an overloaded storm.
 */
export type ModelFault = FaultScope &
  (
    | {
        /** Answer this status with the vendor's error body (529 → Anthropic `overloaded_error`). */
        kind: 'status';
        status: number;
        /** Sent as `retry-after` (seconds); clients honour it between retries. */
        retryAfterSeconds?: number;
        message?: string;
      }
    /** Read the request and never answer: no status line, no bytes. */
    | { kind: 'stall' }
    /** Answer 200, send the first `afterEvents` stream events (default 1), then go silent without closing. */
    | { kind: 'stall-stream'; afterEvents?: number }
    /** Answer 200, send the first `afterEvents` stream events (default 1), then close the connection. */
    | { kind: 'cut-stream'; afterEvents?: number }
    /** Wait `ms` before the first byte of the answer, then answer normally. */
    | { kind: 'delay'; ms: number }
  );

export interface FaultScope {
  /** Only requests of this wire format. */
  api?: ModelApiKind;
  /** Only requests whose path contains this string or matches this RegExp. */
  path?: string | RegExp;
  /** Only scripted turns, or only side requests (OpenCode's title request runs beside its first turn). */
  role?: 'turn' | 'side';
  /** How many matching requests it applies to; every one when unset. */
  times?: number;
}

interface ActiveFault {
  fault: ModelFault;
  applied: number;
}

/** Holds injected faults and picks the one that applies to a request. */
export class ModelFaults {
  private readonly active: ActiveFault[] = [];

  inject(fault: ModelFault): void {
    this.active.push({ fault, applied: 0 });
  }

  clear(): void {
    this.active.length = 0;
  }

  /**
   * The faults for one request: at most one `delay` and at most one other
   * fault, each counted against its `times`. Routes that are not model calls
   * (`role` 'other': count-tokens, probes) are hit only by a `path` rule.
   */
  pick(api: ModelApiKind | undefined, path: string, role: 'turn' | 'side' | 'other'): { delay?: number; fault?: ModelFault } {
    const modelCall = role !== 'other';
    const picked: { delay?: number; fault?: ModelFault } = {};
    for (const entry of this.active) {
      const { fault } = entry;
      if (fault.times !== undefined && entry.applied >= fault.times) continue;
      if (fault.api && fault.api !== api) continue;
      if (fault.role && fault.role !== role) continue;
      if (fault.path !== undefined ? !matches(path, fault.path) : !modelCall) continue;
      if (fault.kind === 'delay') {
        if (picked.delay !== undefined) continue;
        picked.delay = fault.ms;
      } else {
        if (picked.fault) continue;
        picked.fault = fault;
      }
      entry.applied += 1;
    }
    return picked;
  }
}

function matches(path: string, rule: string | RegExp): boolean {
  return typeof rule === 'string' ? path.includes(rule) : rule.test(path);
}
