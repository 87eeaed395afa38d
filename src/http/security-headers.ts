import type { NextFunction, Request, Response } from 'express';

const ADMIN_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Helmet-style headers that every answer carries, express routes and direct routes alike. */
export function baseSecurityHeaders(options: { production: boolean }): Record<string, string> {
  return {
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'X-DNS-Prefetch-Control': 'off',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
    ...(options.production ? { 'Strict-Transport-Security': 'max-age=31536000; includeSubDomains' } : {}),
  };
}

/** The base headers on every answer, and a strict CSP on the admin panels. */
export function securityHeaders(options: { production: boolean }) {
  const base = Object.entries(baseSecurityHeaders(options));
  return function setSecurityHeaders(req: Request, res: Response, next: NextFunction): void {
    for (const [name, value] of base) res.setHeader(name, value);
    if (req.path === '/admin' || req.path.startsWith('/admin/')) {
      res.setHeader('Content-Security-Policy', ADMIN_CSP);
      res.setHeader('Cache-Control', 'no-store');
    }
    next();
  };
}
