import { createPublicKey, type JsonWebKey } from 'node:crypto';
import jwt from 'jsonwebtoken';

/** The OIDC issuer a cloud trusts (an IAM OIDC provider, a workload identity pool provider). */
export interface TrustedIssuer {
  /** The `iss` tokens must carry, e.g. `https://token.actions.githubusercontent.com` or the GitHub emulator's URL. */
  issuer: string;
  /** The issuer's public keys; fetched from `<issuer>/.well-known/openid-configuration` → `jwks_uri` when unset, as AWS and Google do. */
  jwks?: () => { keys: JsonWebKey[] } | Promise<{ keys: JsonWebKey[] }>;
}

export type TokenProblem =
  /** Not a JWT, an unknown key, a bad signature, an issuer nobody trusts. */
  | 'invalid'
  | 'expired'
  | 'audience';

export type VerifiedToken = { ok: true; claims: Record<string, unknown> } | { ok: false; problem: TokenProblem; message: string; claims?: Record<string, unknown> };

async function keysOf(trusted: TrustedIssuer): Promise<JsonWebKey[]> {
  if (trusted.jwks) return (await trusted.jwks()).keys;
  const discovery = (await (await fetch(`${trusted.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`)).json()) as { jwks_uri?: string };
  if (!discovery.jwks_uri) return [];
  return ((await (await fetch(discovery.jwks_uri)).json()) as { keys?: JsonWebKey[] }).keys ?? [];
}

/**
 * What a cloud's token service checks of a web identity token before any
 * policy: the signature against the issuer's published keys, the issuer, the
 * expiry, and the audience. The trust condition on `sub` is the caller's.
 */
export async function verifyOidcToken(token: string, trusted: TrustedIssuer, audiences: readonly string[], now: Date): Promise<VerifiedToken> {
  const decoded = jwt.decode(token, { complete: true });
  if (!decoded || typeof decoded.payload !== 'object' || decoded.payload === null) return { ok: false, problem: 'invalid', message: 'The ID Token provided is not a valid JWT.' };
  const claims = decoded.payload as Record<string, unknown>;
  if (claims.iss !== trusted.issuer) return { ok: false, problem: 'invalid', message: `No OpenIDConnect provider found for ${String(claims.iss)}`, claims };
  const jwk = (await keysOf(trusted)).find((k) => (k as { kid?: string }).kid === decoded.header.kid);
  if (!jwk) return { ok: false, problem: 'invalid', message: 'Couldn\'t retrieve verification key from your identity provider', claims };
  try {
    jwt.verify(token, createPublicKey({ key: jwk, format: 'jwk' }), { algorithms: ['RS256'], ignoreExpiration: true, ignoreNotBefore: true });
  } catch {
    return { ok: false, problem: 'invalid', message: 'The signature of the ID Token could not be verified.', claims };
  }
  const nowS = Math.floor(now.getTime() / 1000);
  if (typeof claims.exp !== 'number' || claims.exp <= nowS) {
    const expiry = typeof claims.exp === 'number' ? new Date(claims.exp * 1000).toISOString() : 'none';
    return { ok: false, problem: 'expired', message: `Token expired: current date/time ${now.toISOString()} must be before the expiration date/time ${expiry}`, claims };
  }
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!aud.some((a) => typeof a === 'string' && audiences.includes(a))) return { ok: false, problem: 'audience', message: 'Incorrect token audience', claims };
  return { ok: true, claims };
}

/** `StringLike` as IAM policies use it: `*` any run of characters, `?` one character. */
export function matchesLike(value: string, pattern: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 's').test(value);
}
