/**
 * The message part of a pretty log line: the ticket and run it is about,
 * the fixed message, and a short summary or error when the event has one.
 * Everything else stays out of the line (it is all in the JSON format):
 * `[DEMO-1 00b0579a] local runner exited: code 0, 312 lines, last: done`.
 * The ticket is logged as `issue` (its identifier) or `identifier`; the run
 * id is cut to 8 characters, enough to tell the runs of a screen apart.
 */
export function prettyMessage(event: Record<string, unknown>, messageKey: string): string {
  const runId = text(event.runId);
  const about = [text(event.identifier) ?? text(event.issue), runId && runId.length > 12 ? runId.slice(0, 8) : runId].filter(Boolean).join(' ');
  const message = text(event[messageKey]) ?? '';
  const detail = text(event.summary) ?? errorMessage(event.err) ?? errorMessage(event.error);
  return `${about ? `[${about}] ` : ''}${message}${detail ? `: ${oneLine(detail, 200)}` : ''}`;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined;
}

function errorMessage(value: unknown): string | undefined {
  if (!value || typeof value !== 'object') return text(value);
  const { type, message } = value as { type?: unknown; message?: unknown };
  const said = text(message);
  return said ? (typeof type === 'string' && type !== 'Error' ? `${type}: ${said}` : said) : undefined;
}

/** Whitespace (newlines above all) folded to single spaces, cut at `max` characters with an ellipsis. */
export function oneLine(value: string, max: number): string {
  const folded = value.replace(/\s+/g, ' ').trim();
  return folded.length > max ? `${folded.slice(0, max - 1)}…` : folded;
}
