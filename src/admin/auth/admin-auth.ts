import { createHash, createHmac, randomBytes, randomUUID, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { AdminSession } from '../../domain/admin-session.js';
import type { Logger } from '../../logging/create-logger.js';
import type { AdminSessionRepo } from '../../store/store.js';
import { LoginThrottle } from './login-throttle.js';
import type { LoginAttempts } from './shared-login-throttle.js';

const scryptAsync = promisify(scrypt) as (password: string, salt: string, keylen: number) => Promise<Buffer>;

export const ADMIN_SESSION_TTL_MS = 24 * 3_600_000;

/** A fixed salt: the fingerprint must be the same in every process that holds the same code. */
const FINGERPRINT_SALT = 'ai-implement/admin-access-code-fingerprint/v1';

export interface AdminAuthOptions {
  accessCode: string;
  sessions: AdminSessionRepo;
  clock: () => number;
  log: Logger;
  /** Default: an in-process `LoginThrottle`; with several replicas, a `SharedLoginThrottle`. */
  throttle?: LoginAttempts;
  sessionTtlMs?: number;
}

/** A good login carries the token (shown once, never stored) and the session id (the audit actor). */
export type LoginOutcome =
  | { ok: true; token: string; expiresAt: string; sessionId: string }
  | { ok: false; reason: 'wrong-code' }
  | { ok: false; reason: 'throttled'; scope: 'ip'; retryAfterMs: number };

/**
 * The one place that knows the access code. Used by `POST /api/auth` (bearer
 * tokens) and by the `/admin` panels (the same token in a cookie), so both
 * share one throttle and one session table.
 *
 * Sessions are stored by a hash of the token with a fingerprint of the code
 * that created them; changing `ADMIN_ACCESS_CODE` revokes every older session
 * on first use after the restart.
 */
export class AdminAuth {
  /** Per-process key: the code comparison is HMAC-then-timingSafeEqual, so lengths never leak. */
  private readonly compareKey = randomBytes(32);
  private readonly expectedDigest: Buffer;
  private readonly throttle: LoginAttempts;
  private readonly ttlMs: number;
  private ready: Promise<string> | undefined;

  constructor(private readonly options: AdminAuthOptions) {
    this.expectedDigest = this.digest(options.accessCode);
    this.throttle = options.throttle ?? new LoginThrottle({ clock: options.clock });
    this.ttlMs = options.sessionTtlMs ?? ADMIN_SESSION_TTL_MS;
  }

  async login(code: string, clientIp: string): Promise<LoginOutcome> {
    const verdict = await this.throttle.check(clientIp);
    if (!verdict.allowed) {
      this.options.log.warn({ clientIp, scope: verdict.scope }, 'admin login throttled');
      return { ok: false, reason: 'throttled', scope: verdict.scope, retryAfterMs: verdict.retryAfterMs };
    }
    if (!timingSafeEqual(this.digest(code), this.expectedDigest)) {
      await this.throttle.recordFailure(clientIp);
      this.options.log.warn({ clientIp }, 'admin login with a wrong access code');
      return { ok: false, reason: 'wrong-code' };
    }
    const fingerprint = await this.prepare();
    const token = randomBytes(32).toString('base64url');
    const now = this.options.clock();
    const session: AdminSession = {
      id: randomUUID(),
      tokenHash: hashToken(token),
      codeFingerprint: fingerprint,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + this.ttlMs).toISOString(),
    };
    await this.options.sessions.create(session);
    this.options.log.info({ sessionId: session.id, clientIp }, 'admin session created');
    return { ok: true, token, expiresAt: session.expiresAt, sessionId: session.id };
  }

  /** The live session a token belongs to, or undefined (unknown, expired, revoked, older code). */
  async authenticate(token: string): Promise<AdminSession | undefined> {
    if (!TOKEN_SHAPE.test(token)) return undefined;
    const fingerprint = await this.prepare();
    const session = await this.options.sessions.getByTokenHash(hashToken(token));
    if (!session || session.codeFingerprint !== fingerprint) return undefined;
    if (Date.parse(session.expiresAt) <= this.options.clock()) return undefined;
    return session;
  }

  /** Revokes the token's session; an unknown or dead token is already as good as revoked. */
  async logout(token: string): Promise<void> {
    const session = await this.authenticate(token);
    if (!session) return;
    await this.options.sessions.revoke(session.id);
    this.options.log.info({ sessionId: session.id }, 'admin session revoked');
  }

  /**
   * The code's fingerprint, and the revocation of sessions made with another
   * code. Done once, at first use: the store is not open yet when this is built.
   */
  private prepare(): Promise<string> {
    if (!this.ready) {
      const pending = (async () => {
        const fingerprint = (await scryptAsync(this.options.accessCode, FINGERPRINT_SALT, 32)).toString('hex');
        const revoked = await this.options.sessions.revokeWhereFingerprintNot(fingerprint);
        if (revoked > 0) this.options.log.info({ revoked }, 'admin sessions of a previous access code revoked');
        return fingerprint;
      })();
      // A failure (store not open yet) is retried on the next request rather than remembered.
      pending.catch(() => {
        if (this.ready === pending) this.ready = undefined;
      });
      this.ready = pending;
    }
    return this.ready;
  }

  private digest(value: string): Buffer {
    return createHmac('sha256', this.compareKey).update(value, 'utf8').digest();
  }
}

/** Our tokens are 32 random bytes in base64url; anything else is not worth a store lookup. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** A fast hash is enough: the token is 256 random bits, so there is nothing to guess offline. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
