/** What a run's branch changes against its base, as `git diff --shortstat` counts it. */
export interface DiffStats {
  /** The ref the branch was compared with (`origin/main`). */
  base: string;
  filesChanged: number;
  insertions: number;
  deletions: number;
}

/**
 * Reads ` 3 files changed, 10 insertions(+), 2 deletions(-)`; git leaves out
 * a count that is zero, and prints nothing at all for an empty diff. The
 * short form rather than `--numstat` because its one line is exact however
 * many files changed: the step log keeps only the tail of a command's output.
 */
export function parseShortstat(text: string): Omit<DiffStats, 'base'> | undefined {
  const line = text.trim();
  if (line === '') return { filesChanged: 0, insertions: 0, deletions: 0 };
  const files = /(\d+) files? changed/.exec(line);
  if (!files) return undefined;
  const count = (pattern: RegExp) => Number(pattern.exec(line)?.[1] ?? 0);
  return { filesChanged: Number(files[1]), insertions: count(/(\d+) insertions?\(\+\)/), deletions: count(/(\d+) deletions?\(-\)/) };
}
