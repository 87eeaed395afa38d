import { describe, expect, it } from 'vitest';
import { parseShortstat } from '../../src/runner/diff-stats.js';

describe('parseShortstat', () => {
  it('reads what git prints, with the counts it leaves out as zero', () => {
    expect(parseShortstat(' 3 files changed, 10 insertions(+), 2 deletions(-)\n')).toEqual({ filesChanged: 3, insertions: 10, deletions: 2 });
    expect(parseShortstat(' 1 file changed, 1 insertion(+)\n')).toEqual({ filesChanged: 1, insertions: 1, deletions: 0 });
    expect(parseShortstat(' 2 files changed, 5 deletions(-)\n')).toEqual({ filesChanged: 2, insertions: 0, deletions: 5 });
    // A binary file alone changes no lines.
    expect(parseShortstat(' 1 file changed, 0 insertions(+), 0 deletions(-)')).toEqual({ filesChanged: 1, insertions: 0, deletions: 0 });
  });

  it('reads an empty diff as nothing changed, and anything else as unknown', () => {
    expect(parseShortstat('')).toEqual({ filesChanged: 0, insertions: 0, deletions: 0 });
    expect(parseShortstat('fatal: bad revision')).toBeUndefined();
  });
});
