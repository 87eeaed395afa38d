/**
 * Output hygiene for text that comes from an agent or its runner (summaries,
 * plans, failure reasons, review text, step titles) before it is posted to a
 * ticket or a pull request or stored for the panels. Such text is hostile
 * (DESIGN invariants 5 and 10): it may carry terminal escapes from a CLI that
 * thought it wrote to a TTY, control characters, a secret it read from the
 * environment, a fake hidden marker, or megabytes of log.
 *
 * Pure: the caller passes its redactor (the SecretRegistry's on the server,
 * the RunnerLog's in a job), so both sides clean text the same way.
 */

export type Redactor = (text: string) => string;

export interface SanitizeOptions {
  /** Scrubs secrets; runs after escapes are stripped so a secret split by colour codes is still found. */
  redact?: Redactor;
  /** Cut past this many characters (after cleaning), with a visible note. */
  maxChars?: number;
  /** Cut past this many lines, with a visible note. */
  maxLines?: number;
  /** Which end to keep when cutting: the head (a plan) or the tail (an error log, whose end says why). Default head. */
  keep?: 'head' | 'tail';
}

/*
 * ESC-introduced sequences (ECMA-48), and their 8-bit C1 forms:
 *  - OSC `ESC ]` … BEL or ST: window titles and hyperlinks (`ESC ]8;;url ST text ESC ]8;; ST` keeps `text`);
 *  - DCS/SOS/PM/APC `ESC P|X|^|_` … ST;
 *  - CSI `ESC [` params intermediates final: colours, cursor moves, erases;
 *  - any other `ESC` intermediates final (charset switches, keypad modes, save/restore cursor).
 * An unterminated string sequence runs to the end of the text, as a terminal would swallow it.
 */
const STRING_SEQUENCE = /(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[\s\S]*?(?:\x07|\x1b\\|\x9c|$)/g;
const CSI_SEQUENCE = /(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]/g;
const OTHER_ESCAPE = /\x1b[ -/]*[0-~]?/g;
/** C0 and C1 controls except tab and newline, DEL, and the bidirectional overrides that reorder what a reader sees. */
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;
/** Our hidden-marker prefix; inside agent text it must not make a comment look like one of ours. */
const MARKER_TOKEN = /ai-implement:/gi;

/** Strips terminal escape sequences and control characters (keeping \n and \t); CRLF becomes LF. */
export function stripTerminalCodes(text: string): string {
  const stripped = text.replace(STRING_SEQUENCE, '').replace(CSI_SEQUENCE, '').replace(OTHER_ESCAPE, '');
  const lines = stripped.replace(/\r\n/g, '\n').split('\n');
  // A lone CR redraws the line (spinners, progress bars): what a terminal would show is the last redraw.
  const shown = lines.map((line) => {
    if (!line.includes('\r')) return line;
    const redraws = line.split('\r').filter((part) => part !== '');
    return redraws.at(-1) ?? '';
  });
  return shown.join('\n').replace(CONTROL, '');
}

/**
 * Breaks our marker prefix with a zero-width space: trackers find our
 * comments by `ai-implement:<key>`, so agent text quoting one could otherwise
 * make a plan comment pass for the status comment of another run.
 */
export function neutralizeMarkers(text: string): string {
  return text.replace(MARKER_TOKEN, (m) => `${m.slice(0, -1)}\u200b:`);
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function unit(n: number): string {
  return n === 1 ? 'character' : 'characters';
}

/** Index `at` moved off the middle of a surrogate pair, so a cut never leaves half an emoji. */
function safeIndex(text: string, at: number): number {
  const code = text.charCodeAt(at - 1);
  return code >= 0xd800 && code <= 0xdbff ? at - 1 : at;
}

/** Cuts `text` to `maxChars` and `maxLines`, saying how much was left out ("… cut: N more characters", or "N earlier" for a kept tail). */
export function cutText(text: string, limits: Pick<SanitizeOptions, 'maxChars' | 'maxLines' | 'keep'>): string {
  const maxChars = limits.maxChars ?? Infinity;
  const maxLines = limits.maxLines ?? Infinity;
  const lines = text.split('\n');
  if (text.length <= maxChars && lines.length <= maxLines) return text;
  if (limits.keep === 'tail') {
    let kept = lines.length > maxLines ? lines.slice(-maxLines).join('\n') : text;
    if (kept.length > maxChars) {
      let from = kept.length - maxChars;
      // Starting on the low half of a surrogate pair would leave half an emoji.
      if (/[\udc00-\udfff]/.test(kept.charAt(from))) from += 1;
      kept = kept.slice(from);
    }
    const left = text.length - kept.length;
    return `… cut: ${count(left)} earlier ${unit(left)}\n${kept}`;
  }
  let kept = lines.length > maxLines ? lines.slice(0, maxLines).join('\n') : text;
  if (kept.length > maxChars) kept = kept.slice(0, safeIndex(kept, maxChars));
  const left = text.length - kept.length;
  return `${kept}\n… cut: ${count(left)} more ${unit(left)}`;
}

/** The whole treatment, in the order that keeps it safe: strip, neutralise markers, redact, then cut. */
export function sanitizeAgentText(text: string, options: SanitizeOptions = {}): string {
  let clean = neutralizeMarkers(stripTerminalCodes(text));
  if (options.redact) clean = options.redact(clean);
  // Cutting after redaction: a cut through a secret would leave half of it unrecognised.
  return cutText(clean.trimEnd(), options);
}

/** One line: runs of whitespace (newlines too) become one space. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * A short label from a runner (a runtime, model or provider name) made inert
 * for Markdown: only the characters model ids use, at most `max` of them.
 */
export function plainLabel(text: string, max = 120): string {
  return oneLine(stripTerminalCodes(text))
    .replace(/[^\w.:@/+\-[\] ()]/g, '')
    .slice(0, max);
}

/**
 * Text as a fenced code block, so Markdown in it (links, images, headings)
 * stays inert on the ticket. Triple backticks inside are broken up: Jira's
 * Markdown-to-ADF conversion closes a fence at any line of them.
 */
export function fenceCode(text: string): string {
  return `\`\`\`\n${text.replace(/`{3,}/g, (run) => run.split('').join('\u200b'))}\n\`\`\``;
}
