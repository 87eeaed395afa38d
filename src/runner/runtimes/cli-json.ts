/**
 * Agent CLIs print JSON (one document, or one event per line) but may put
 * other lines around it (warnings, a banner). These read what they can and
 * never throw: a CLI that printed no JSON leaves its raw text to the caller.
 */

/** Every line of stdout that is a JSON object, in order. */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (!trimmed.startsWith('{')) continue;
    try {
      const value: unknown = JSON.parse(trimmed);
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) out.push(value as Record<string, unknown>);
    } catch {
      // A line that only looks like JSON (a log line starting with "{").
    }
  }
  return out;
}

/** The whole of stdout as one JSON value, else its last JSON line. */
export function lastJsonValue(stdout: string): unknown {
  const trimmed = stdout.trim();
  try {
    return JSON.parse(trimmed);
  } catch {
    // Text around the document: fall back to the lines.
  }
  const start = trimmed.indexOf('{');
  if (start > 0) {
    try {
      return JSON.parse(trimmed.slice(start));
    } catch {
      // Not one document after the banner either.
    }
  }
  return jsonLines(stdout).at(-1);
}

export function numberOr(value: unknown, fallback = 0): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

export function recordOf(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
