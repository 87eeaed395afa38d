import { ConflictError, ValidationError } from '../../errors/index.js';
import type { AdminSession } from '../../domain/admin-session.js';
import type { DedupEntry } from '../../domain/dedup-entry.js';
import type { Mapping } from '../../domain/mapping.js';
import type { SealedSecret } from '../../domain/sealed-secret.js';
import { clone, toIso, toMs } from '../core/codec.js';
import type { AdminSessionRepo, DedupLedger, MappingRepo, SecretRepo, SettingsRepo, TokenLedger } from '../store.js';
import { jsonParam, type PgContext } from './pg-context.js';

const now = (ctx: PgContext) => toIso(ctx.clock());

export function createPgMappingRepo(ctx: PgContext): MappingRepo {
  return {
    async get(teamKey) {
      const found = await ctx.db().query<{ mapping: Mapping }>('SELECT mapping FROM mappings WHERE team_key = $1', [teamKey]);
      return found.rows[0]?.mapping;
    },
    async list() {
      const found = await ctx.db().query<{ mapping: Mapping }>('SELECT mapping FROM mappings ORDER BY team_key');
      return found.rows.map((r) => r.mapping);
    },
    async upsert(mapping) {
      const db = ctx.db();
      if (!mapping.teamKey) throw new ValidationError('teamKey is required', 'teamKey');
      await db.query('INSERT INTO mappings (team_key, mapping) VALUES ($1, $2) ON CONFLICT (team_key) DO UPDATE SET mapping = excluded.mapping', [
        mapping.teamKey,
        jsonParam(mapping),
      ]);
      return clone(mapping);
    },
    async delete(teamKey) {
      return (await ctx.db().query('DELETE FROM mappings WHERE team_key = $1', [teamKey])).rowCount > 0;
    },
  };
}

export function createPgDedupLedger(ctx: PgContext): DedupLedger {
  return {
    async put(issueId, entry) {
      const db = ctx.db();
      const expiresAt = toIso(toMs(entry.expiresAt, 'expiresAt'));
      const row: DedupEntry = { ...clone(entry), issueId };
      await db.query('INSERT INTO dedup (issue_id, expires_at, entry) VALUES ($1, $2, $3) ON CONFLICT (issue_id) DO UPDATE SET expires_at = excluded.expires_at, entry = excluded.entry', [
        issueId,
        expiresAt,
        jsonParam(row),
      ]);
      return row;
    },
    async get(issueId) {
      const found = await ctx.db().query<{ entry: DedupEntry }>('SELECT entry FROM dedup WHERE issue_id = $1 AND expires_at > $2', [issueId, now(ctx)]);
      return found.rows[0]?.entry;
    },
    async listActive() {
      const found = await ctx.db().query<{ entry: DedupEntry }>('SELECT entry FROM dedup WHERE expires_at > $1 ORDER BY issue_id', [now(ctx)]);
      return found.rows.map((r) => r.entry);
    },
    async delete(issueId) {
      return (await ctx.db().query('DELETE FROM dedup WHERE issue_id = $1', [issueId])).rowCount > 0;
    },
    async purgeExpired() {
      const db = ctx.db();
      const at = now(ctx);
      // Claim dedup keys age out on the same sweep, as in the embedded store.
      await db.query('DELETE FROM claim_keys WHERE expires_at <= $1', [at]);
      return (await db.query('DELETE FROM dedup WHERE expires_at <= $1', [at])).rowCount;
    },
  };
}

export function createPgTokenLedger(ctx: PgContext): TokenLedger {
  return {
    async consumeTokenJti(jti, expiresAt) {
      const db = ctx.db();
      if (!jti) throw new ValidationError('jti is required', 'jti');
      const exp = toIso(toMs(expiresAt, 'expiresAt'));
      // The primary key decides: of any number of concurrent calls exactly one inserts.
      const inserted = await db.query('INSERT INTO one_time_keys (key, expires_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [jti, exp]);
      return inserted.rowCount === 1;
    },
    async purgeExpired() {
      return (await ctx.db().query('DELETE FROM one_time_keys WHERE expires_at <= $1', [now(ctx)])).rowCount;
    },
  };
}

export function createPgSettingsRepo(ctx: PgContext): SettingsRepo {
  return {
    async get<T>(key: string) {
      const found = await ctx.db().query<{ value: T }>('SELECT value FROM settings WHERE key = $1', [key]);
      return found.rows[0]?.value;
    },
    async set(key, value) {
      const db = ctx.db();
      if (value === undefined) throw new ValidationError('a setting value must be JSON, not undefined', key);
      await db.query('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, jsonParam(value)]);
    },
    async delete(key) {
      return (await ctx.db().query('DELETE FROM settings WHERE key = $1', [key])).rowCount > 0;
    },
    async all() {
      const found = await ctx.db().query<{ key: string; value: unknown }>('SELECT key, value FROM settings ORDER BY key');
      return Object.fromEntries(found.rows.map((r) => [r.key, r.value]));
    },
  };
}

export function createPgAdminSessionRepo(ctx: PgContext): AdminSessionRepo {
  return {
    async create(session) {
      const db = ctx.db();
      const expiresAt = toIso(toMs(session.expiresAt, 'expiresAt'));
      const inserted = await db.query(
        'INSERT INTO admin_sessions (id, token_hash, code_fingerprint, expires_at, session) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING',
        [session.id, session.tokenHash, session.codeFingerprint, expiresAt, jsonParam(session)],
      );
      if (inserted.rowCount === 0) throw new ConflictError(`session ${session.id} already exists`);
      return clone(session);
    },
    async getByTokenHash(tokenHash) {
      const found = await ctx.db().query<{ session: AdminSession }>('SELECT session FROM admin_sessions WHERE token_hash = $1 AND expires_at > $2 LIMIT 1', [
        tokenHash,
        now(ctx),
      ]);
      return found.rows[0]?.session;
    },
    async revoke(id) {
      return (await ctx.db().query('DELETE FROM admin_sessions WHERE id = $1', [id])).rowCount > 0;
    },
    async revokeAll() {
      return (await ctx.db().query('DELETE FROM admin_sessions')).rowCount;
    },
    async revokeWhereFingerprintNot(fingerprint) {
      return (await ctx.db().query('DELETE FROM admin_sessions WHERE code_fingerprint <> $1', [fingerprint])).rowCount;
    },
    async purgeExpired() {
      return (await ctx.db().query('DELETE FROM admin_sessions WHERE expires_at <= $1', [now(ctx)])).rowCount;
    },
  };
}

export function createPgSecretRepo(ctx: PgContext): SecretRepo {
  return {
    async list() {
      const found = await ctx.db().query<{ secret: SealedSecret }>('SELECT secret FROM secrets ORDER BY id');
      return found.rows.map((r) => r.secret);
    },
    async get(id) {
      const found = await ctx.db().query<{ secret: SealedSecret }>('SELECT secret FROM secrets WHERE id = $1', [id]);
      return found.rows[0]?.secret;
    },
    async put(secret) {
      const db = ctx.db();
      if (!secret.id || !secret.sealed) throw new ValidationError('a sealed secret needs an id and a sealed value', 'id');
      await db.query('INSERT INTO secrets (id, key_id, secret) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET key_id = excluded.key_id, secret = excluded.secret', [
        secret.id,
        secret.keyId,
        jsonParam(secret),
      ]);
      return clone(secret);
    },
    async delete(id) {
      return (await ctx.db().query('DELETE FROM secrets WHERE id = $1', [id])).rowCount > 0;
    },
  };
}
