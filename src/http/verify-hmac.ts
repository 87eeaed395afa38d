import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Checks an HMAC-SHA256 signature header against the exact bytes received.
 * `prefix` is what precedes the hex digest (`sha256=` for GitHub and Jira,
 * nothing for Linear). Constant-time; a malformed header is simply false.
 */
export function verifyHmacSha256(secret: string, raw: Buffer, header: string | undefined, prefix = ''): boolean {
  if (!header || !header.startsWith(prefix)) return false;
  const given = header.slice(prefix.length).trim();
  if (!/^[0-9a-f]{64}$/i.test(given)) return false;
  const expected = createHmac('sha256', secret).update(raw).digest();
  return timingSafeEqual(expected, Buffer.from(given, 'hex'));
}

export function signHmacSha256(secret: string, raw: Buffer | string, prefix = ''): string {
  return prefix + createHmac('sha256', secret).update(raw).digest('hex');
}
