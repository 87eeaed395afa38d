import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';

/**
 * The CSRF token is derived from the session token, so it needs no storage and
 * survives restarts, yet no one without the HttpOnly cookie can compute it.
 */
export function csrfTokenFor(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('ai-implement admin csrf v1').digest('base64url');
}

export function csrfTokenMatches(sessionToken: string, submitted: unknown): boolean {
  if (typeof submitted !== 'string' || submitted.length === 0) return false;
  const expected = Buffer.from(csrfTokenFor(sessionToken));
  const given = Buffer.from(submitted);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * True when the request says it comes from a page of this very host. Browsers
 * send Origin on every form POST; Referer is the fallback for old ones. A
 * request with neither is refused: a state change needs a page of ours.
 */
export function isSameOrigin(req: Request): boolean {
  const host = req.headers.host;
  if (!host) return false;
  const source = headerValue(req.headers.origin) ?? headerValue(req.headers.referer);
  if (!source || source === 'null') return false;
  try {
    return new URL(source).host === host;
  } catch {
    return false;
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
