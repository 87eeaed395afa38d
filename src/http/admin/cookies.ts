/** The panel session cookie; `__Host-` in production pins it to this origin over HTTPS. */
export function sessionCookieName(production: boolean): string {
  return production ? '__Host-ai_implement_admin' : 'ai_implement_admin';
}

/** Reads one cookie from a Cookie header without a parser dependency. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    const raw = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(raw);
    } catch {
      // A malformed value is treated as no session rather than as an error page.
      return undefined;
    }
  }
  return undefined;
}

export interface CookieOptions {
  production: boolean;
  /** Absent → a cookie that expires at once (logout). */
  expiresAt?: string;
}

/**
 * HttpOnly so scripts never see the token; SameSite=Strict so no other site
 * can make the browser send it; Secure whenever the deployment is HTTPS.
 */
export function serializeSessionCookie(name: string, value: string, options: CookieOptions): string {
  const parts = [`${name}=${encodeURIComponent(value)}`, 'Path=/', 'HttpOnly', 'SameSite=Strict'];
  if (options.production) parts.push('Secure');
  if (options.expiresAt) parts.push(`Expires=${new Date(options.expiresAt).toUTCString()}`);
  else parts.push('Max-Age=0');
  return parts.join('; ');
}
