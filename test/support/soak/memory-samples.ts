import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** One reading of the process's memory, taken once per simulated minute. */
export interface MemorySample {
  minute: number;
  rssMb: number;
  heapMb: number;
}

export interface MemoryReport {
  samples: MemorySample[];
  startRssMb: number;
  /** The first sample after the warm-up: the baseline "flat" is judged against. */
  warmRssMb: number;
  maxRssMb: number;
  endRssMb: number;
  warmHeapMb: number;
  endHeapMb: number;
  /** Least-squares slope of RSS over the post-warm-up samples, in MB per simulated hour. */
  rssSlopeMbPerHour: number;
  heapSlopeMbPerHour: number;
  warmupMinutes: number;
  /** Flat: the end RSS is within this many MB of the post-warm-up value. */
  thresholdMb: number;
  flat: boolean;
}

const MB = 1024 * 1024;

/** Samples RSS and heap; the warm-up (JIT, pools, first allocations) is left out of the judgement. */
export class MemorySampler {
  private readonly samples: MemorySample[] = [];
  private readonly gc = exposeGc();

  constructor(
    private readonly warmupMinutes: number,
    private readonly thresholdMb: number,
  ) {}

  sample(minute: number): void {
    // A full collection first, so a sample reads what is retained rather than when the GC last ran.
    this.gc();
    const usage = process.memoryUsage();
    this.samples.push({ minute, rssMb: usage.rss / MB, heapMb: usage.heapUsed / MB });
  }

  report(): MemoryReport {
    const all = this.samples;
    const first = all[0] ?? { minute: 0, rssMb: 0, heapMb: 0 };
    const warm = all.find((s) => s.minute >= this.warmupMinutes) ?? first;
    const last = all.at(-1) ?? first;
    const after = all.filter((s) => s.minute >= warm.minute);
    return {
      samples: all,
      startRssMb: first.rssMb,
      warmRssMb: warm.rssMb,
      maxRssMb: Math.max(...all.map((s) => s.rssMb)),
      endRssMb: last.rssMb,
      warmHeapMb: warm.heapMb,
      endHeapMb: last.heapMb,
      rssSlopeMbPerHour: slope(after.map((s) => [s.minute, s.rssMb])) * 60,
      heapSlopeMbPerHour: slope(after.map((s) => [s.minute, s.heapMb])) * 60,
      warmupMinutes: this.warmupMinutes,
      thresholdMb: this.thresholdMb,
      flat: last.rssMb - warm.rssMb <= this.thresholdMb,
    };
  }
}

function slope(points: Array<[number, number]>): number {
  if (points.length < 2) return 0;
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** `global.gc` without starting node with --expose-gc: the flag is set at run time and the function read from a fresh context. */
function exposeGc(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}
