import { createHmac, timingSafeEqual, verify, type KeyObject } from 'node:crypto';

/**
 * Checks on a JWT that we make ourselves so a refusal can name its cause
 * without reading jsonwebtoken's message text. jsonwebtoken still verifies
 * the signature, algorithm and time claims afterwards; these only tell its
 * failures apart.
 */

export type JwtAlgorithm = 'HS256' | 'RS256';

/**
 * True when the token carries a signature that `key` did not make. An
 * unsigned token (empty third part) is not a mismatch: jsonwebtoken refuses
 * it as unsigned.
 */
export function signatureMismatch(token: string, algorithm: JwtAlgorithm, key: string | KeyObject): boolean {
  const [header, payload, signature] = token.split('.');
  if (header === undefined || payload === undefined || !signature) return false;
  const signed = Buffer.from(`${header}.${payload}`, 'utf8');
  if (algorithm === 'HS256') {
    // Compared as base64url text, as jsonwebtoken does, so two spellings of one value do not pass here and fail there.
    const expected = Buffer.from(createHmac('sha256', key).update(signed).digest('base64url'), 'utf8');
    const given = Buffer.from(signature, 'utf8');
    return expected.length !== given.length || !timingSafeEqual(expected, given);
  }
  try {
    return !verify('RSA-SHA256', signed, key, Buffer.from(signature, 'base64url'));
  } catch {
    // A key Node cannot use for RS256 is not a mismatch we can name; jsonwebtoken refuses the token next.
    return false;
  }
}

/** jsonwebtoken's audience rule: `aud`, one value or a list, names the expected audience. */
export function audienceIncludes(aud: unknown, expected: string): boolean {
  return (Array.isArray(aud) ? aud : [aud]).some((value) => value === expected);
}
