/**
 * Whether a Node version meets a package's `engines.node`, for the forms agent
 * CLIs use (`>=20`, `>=22.0.0`, `^20.19.0 || >=22`). Answers undefined for any
 * other form instead of guessing, so the installer can say it could not tell;
 * not worth a semver dependency for one check.
 */
export function satisfiesNodeRange(version: string, range: string): boolean | undefined {
  const have = parts(version.replace(/^v/, ''));
  if (!have) return undefined;
  let answer = false;
  for (const alternative of range.split('||')) {
    const comparators = alternative.trim().split(/\s+/).filter(Boolean);
    if (comparators.length === 0) return undefined;
    let all = true;
    for (const comparator of comparators) {
      const match = /^(>=|>|<=|<|\^|=)?v?(\d+(?:\.\d+){0,2})$/.exec(comparator);
      if (!match) return undefined;
      const want = parts(match[2]!)!;
      const order = compare(have, want);
      const holds: Record<string, boolean> = {
        '>=': order >= 0,
        '>': order > 0,
        '<=': order <= 0,
        '<': order < 0,
        '^': order >= 0 && have[0] === want[0],
        '=': order === 0,
      };
      if (!holds[match[1] ?? '=']) all = false;
    }
    if (all) answer = true;
  }
  return answer;
}

function parts(version: string): [number, number, number] | undefined {
  const match = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(version);
  return match ? [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)] : undefined;
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}
