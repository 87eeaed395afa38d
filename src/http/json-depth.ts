import { HttpError } from './http-error.js';

/**
 * How deeply a JSON body may nest. No payload we accept comes near it (GitHub,
 * Linear and Jira webhooks, runner reports, the API); a body past it would
 * parse, then overflow the stack of whatever walks it recursively (validation,
 * `JSON.stringify` when it is stored) and turn into a 500.
 */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * Refuses a JSON text nested deeper than `max`, before it is parsed. Scans the
 * bytes: the characters that matter are ASCII, and UTF-8 never uses ASCII
 * bytes inside a multi-byte character, so no decoding is needed. Malformed
 * JSON is left for the parser to name.
 */
export function assertJsonDepth(raw: Buffer, max = MAX_JSON_DEPTH): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > max) throw new HttpError(400, 'json_too_deep', `Request body nests JSON deeper than ${max} levels`);
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--;
    }
  }
}
