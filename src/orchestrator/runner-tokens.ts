import { createHash, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { z } from 'zod';
import { RUNNER_AUDIENCE, type RunTokenIssuer, type RunTokenPair, type RunnerAudience, type RunnerTokenClaims } from '../domain/runner-protocol.js';
import type { RegisterSecret } from '../config/index.js';
import { ConfigError, ValidationError } from '../errors/index.js';
import { audienceIncludes, signatureMismatch } from './jwt-checks.js';
import type { Clock } from '../store/store.js';

export interface RunnerTokenSecret {
  /** Key id put in the JWT header; derived from a hash of the secret when unset. */
  kid?: string;
  secret: string;
}

export interface RunnerTokenSecrets {
  current: RunnerTokenSecret;
  /** The secret before a rotation: tokens it signed keep verifying until they expire. */
  previous?: RunnerTokenSecret;
}

export interface RunnerTokensOptions {
  secrets: RunnerTokenSecrets;
  clock: Clock;
  newJti?: () => string;
  /** Upper bound on a token's life however far away the deadline is (default 24 h). */
  maxLifetimeMs?: number;
  /** Told of every token minted, until it expires: a runner may echo its own token into a summary or log. */
  registerSecret?: RegisterSecret;
}

export type TokenFailureReason =
  | 'missing'
  | 'malformed'
  | 'bad-algorithm'
  | 'unknown-key'
  | 'bad-signature'
  | 'expired'
  | 'not-yet-valid'
  | 'wrong-audience'
  | 'bad-claims';

export type TokenVerification =
  | { ok: true; claims: RunnerTokenClaims }
  | { ok: false; reason: TokenFailureReason; message: string };

export interface RunnerTokens extends RunTokenIssuer {
  verify(token: string | undefined, audience: RunnerAudience): TokenVerification;
}

export const MIN_SECRET_BYTES = 32;
/** Grace after the run deadline so a runner that overran slightly can still report how it ended. */
export const DEADLINE_GRACE_MS = 15 * 60 * 1000;
const DEFAULT_MAX_LIFETIME_MS = 24 * 60 * 60 * 1000;
const ALGORITHM = 'HS256';

const claimsSchema = z.object({
  aud: z.enum([RUNNER_AUDIENCE.result, RUNNER_AUDIENCE.progress]),
  sub: z.string().min(1),
  attempt: z.number().int().positive(),
  jti: z.string().min(1),
  iat: z.number().int(),
  exp: z.number().int(),
});

/** A short, stable id for a secret, so rotation never needs a hand-picked name and the secret itself never shows. */
export function deriveKid(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex').slice(0, 16);
}

interface KeyEntry {
  kid: string;
  secret: string;
}

function keyEntry(input: RunnerTokenSecret, label: string): KeyEntry {
  if (Buffer.byteLength(input.secret, 'utf8') < MIN_SECRET_BYTES) {
    throw new ConfigError(`The ${label} runner token secret is shorter than ${MIN_SECRET_BYTES} bytes`, [
      `RUNNER_TOKEN_SECRET: must be at least ${MIN_SECRET_BYTES} bytes; generate one with \`openssl rand -hex 32\``,
    ]);
  }
  return { kid: input.kid ?? deriveKid(input.secret), secret: input.secret };
}

/**
 * Mints and checks the HS256 tokens a runner calls back with (invariant 4).
 * The algorithm is pinned on both sides; the header `kid` picks the secret so
 * a rotated-out secret keeps its tokens valid during the overlap.
 */
export function createRunnerTokens(options: RunnerTokensOptions): RunnerTokens {
  const current = keyEntry(options.secrets.current, 'current');
  const previous = options.secrets.previous ? keyEntry(options.secrets.previous, 'previous') : undefined;
  if (previous && previous.kid === current.kid) {
    throw new ConfigError('The current and previous runner token secrets have the same key id', ['RUNNER_TOKEN_SECRET: rotate to a different value']);
  }
  const keys = new Map<string, string>([[current.kid, current.secret]]);
  if (previous) keys.set(previous.kid, previous.secret);
  const newJti = options.newJti ?? randomUUID;
  const maxLifetimeMs = options.maxLifetimeMs ?? DEFAULT_MAX_LIFETIME_MS;

  function sign(aud: RunnerAudience, runId: string, attempt: number, iat: number, exp: number): string {
    const claims: RunnerTokenClaims = { aud, sub: runId, attempt, jti: newJti(), iat, exp };
    // jsonwebtoken keeps a given iat, so it comes from the injected clock, not Date.now().
    return jwt.sign(claims, current.secret, { algorithm: ALGORITHM, keyid: current.kid });
  }

  return {
    mint(runId: string, attempt: number, deadlineAt: string): RunTokenPair {
      const deadlineMs = Date.parse(deadlineAt);
      if (Number.isNaN(deadlineMs)) throw new ValidationError(`deadlineAt is not a date: ${deadlineAt}`, 'deadlineAt');
      if (!runId) throw new ValidationError('runId is required', 'runId');
      if (!Number.isInteger(attempt) || attempt < 1) throw new ValidationError('attempt must be a positive integer', 'attempt');
      const now = options.clock();
      const iat = Math.floor(now / 1000);
      const exp = Math.floor(Math.min(deadlineMs + DEADLINE_GRACE_MS, now + maxLifetimeMs) / 1000);
      const pair: RunTokenPair = {
        progressToken: sign(RUNNER_AUDIENCE.progress, runId, attempt, iat, exp),
        resultToken: sign(RUNNER_AUDIENCE.result, runId, attempt, iat, exp),
        expiresAt: new Date(exp * 1000).toISOString(),
      };
      options.registerSecret?.(pair.progressToken, { expiresAt: exp * 1000 });
      options.registerSecret?.(pair.resultToken, { expiresAt: exp * 1000 });
      return pair;
    },

    verify(token: string | undefined, audience: RunnerAudience): TokenVerification {
      if (!token) return { ok: false, reason: 'missing', message: 'A bearer token is required' };
      const decoded = jwt.decode(token, { complete: true });
      if (!decoded || typeof decoded.payload === 'string') return { ok: false, reason: 'malformed', message: 'The token is not a JWT' };
      // Checked before the library sees it so `none` or another HMAC size is named as such, not as a bad signature.
      if (decoded.header.alg !== ALGORITHM) {
        return { ok: false, reason: 'bad-algorithm', message: `Runner tokens are ${ALGORITHM}; got ${decoded.header.alg}` };
      }
      const secret = decoded.header.kid ? keys.get(decoded.header.kid) : undefined;
      if (!secret) return { ok: false, reason: 'unknown-key', message: 'The token was signed with a key this server does not know' };
      const payload = decoded.payload;
      if (typeof payload.exp !== 'number') return { ok: false, reason: 'bad-claims', message: 'The token has no exp claim' };
      // Named before jsonwebtoken runs (it checks the signature first too), whose errors differ only in their text.
      if (signatureMismatch(token, ALGORITHM, secret)) return { ok: false, reason: 'bad-signature', message: 'The token signature does not match' };
      try {
        // No `audience` option: jsonwebtoken would report a wrong one only in its message text; it is checked below.
        jwt.verify(token, secret, { algorithms: [ALGORITHM], clockTimestamp: Math.floor(options.clock() / 1000) });
      } catch (error) {
        return failureOf(error);
      }
      if (!audienceIncludes(payload.aud, audience)) return { ok: false, reason: 'wrong-audience', message: `This route needs a token for ${audience}` };
      const parsed = claimsSchema.safeParse(payload);
      if (!parsed.success) {
        const field = parsed.error.issues[0]?.path.join('.') ?? 'claims';
        return { ok: false, reason: 'bad-claims', message: `The token claim ${field} is missing or invalid` };
      }
      return { ok: true, claims: parsed.data };
    },
  };
}

function failureOf(error: unknown): TokenVerification {
  if (error instanceof jwt.TokenExpiredError) return { ok: false, reason: 'expired', message: 'The token has expired' };
  if (error instanceof jwt.NotBeforeError) return { ok: false, reason: 'not-yet-valid', message: 'The token is not valid yet (nbf)' };
  // The signature and algorithm were checked before: what is left is a token jsonwebtoken cannot read (unsigned, bad nbf).
  if (error instanceof jwt.JsonWebTokenError) return { ok: false, reason: 'malformed', message: 'The token could not be verified' };
  throw error;
}

/** Why a runner callback was refused, in the project's terms; the HTTP layer picks the status code. */
export type RunnerRefusalReason =
  | 'token-mismatch'
  | 'replayed'
  | 'stale-attempt'
  | 'run-finished'
  | 'run-not-found'
  | 'not-dispatched'
  | 'mapping-missing'
  | 'ticket-missing'
  | 'tracker-unavailable'
  | 'identity-rejected'
  | 'issuer-unavailable'
  | 'github-unavailable'
  | 'secrets-elsewhere'
  | 'secrets-unavailable'
  | 'rate-limited';

/** Thrown by the runner callback services (progress, result, job, OIDC exchange, GitHub token refresh). */
export class RunnerRefusal extends Error {
  override readonly name = 'RunnerRefusal';
  constructor(
    readonly reason: RunnerRefusalReason,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** The body must speak for the run and attempt the token was minted for. */
export function assertSameRun(claims: RunnerTokenClaims, body: { runId: string; attempt: number }): void {
  if (body.runId !== claims.sub || body.attempt !== claims.attempt) {
    throw new RunnerRefusal('token-mismatch', `The token is for run ${claims.sub} attempt ${claims.attempt}, not run ${body.runId} attempt ${body.attempt}`);
  }
}
