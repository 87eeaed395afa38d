/**
 * The hidden marker that earlier versions put at the end of each Linear
 * comment so they could find it again. Comments are now found by their
 * derived id (`linear-comment-id.ts`). Linear stores comments as rich text,
 * and converters that target it drop HTML comments. The marker only finds
 * comments posted before that change, and it is kept in those comments when
 * they are rewritten.
 * Matching looks for the bare token rather than the whole `<!-- -->` wrapper
 * because Linear may re-serialise the Markdown (escaping or re-spacing it).
 */

const PREFIX = 'ai-implement:';

export function markerToken(key: string): string {
  return `${PREFIX}${key}`;
}

export function withMarker(body: string, key: string): string {
  return `${body.trimEnd()}\n\n<!-- ${markerToken(key)} -->`;
}

/** True when `body` carries exactly this key (so `run:1` never matches `run:12`). */
export function hasMarker(body: string, key: string): boolean {
  const token = markerToken(key);
  let from = 0;
  for (;;) {
    const at = body.indexOf(token, from);
    if (at < 0) return false;
    const next = body[at + token.length];
    if (next === undefined || !/[\w:.\-/]/.test(next) || /^--\\?>/.test(body.slice(at + token.length))) return true;
    from = at + 1;
  }
}

/** Linear may trim or normalise trailing whitespace; compare what a reader sees. */
export function sameBody(a: string, b: string): boolean {
  return a.replace(/\r\n/g, '\n').trim() === b.replace(/\r\n/g, '\n').trim();
}
