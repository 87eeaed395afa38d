import type { IncomingMessage } from 'node:http';

/**
 * The address the login throttle counts against. Only the header the operator
 * named in `TRUSTED_PROXY_HEADER` is believed (their proxy sets it); any other
 * forwarding header is client-controlled, so rotating it must not buy fresh
 * attempts. A list-valued header (X-Forwarded-For) is read from the right:
 * the last hop is the one the trusted proxy appended.
 */
export function clientIpOf(req: IncomingMessage, trustedProxyHeader: string | undefined): string {
  if (trustedProxyHeader) {
    const raw = req.headers[trustedProxyHeader.toLowerCase()];
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    const last = value?.split(',').map((part) => part.trim()).filter((part) => part !== '').pop();
    if (last) return last;
  }
  return req.socket.remoteAddress ?? 'unknown';
}
