import { ConflictError, ValidationError } from '../../errors/index.js';
import type { AdminSessionRepo, DedupLedger, MappingRepo, SecretRepo, SettingsRepo, TokenLedger } from '../store.js';
import { clone, toMs } from './codec.js';
import type { StoreContext } from './store-context.js';

const isLive = (expiresAt: string, now: number) => Date.parse(expiresAt) > now;

export function createMappingRepo(ctx: StoreContext): MappingRepo {
  return {
    async get(teamKey) {
      ctx.assertOpen();
      const m = ctx.doc().mappings[teamKey];
      return m ? clone(m) : undefined;
    },
    async list() {
      ctx.assertOpen();
      return Object.values(ctx.doc().mappings)
        .sort((a, b) => (a.teamKey < b.teamKey ? -1 : 1))
        .map((m) => clone(m));
    },
    async upsert(mapping) {
      ctx.assertOpen();
      if (!mapping.teamKey) throw new ValidationError('teamKey is required', 'teamKey');
      const copy = clone(mapping);
      await ctx.queue.submit((tx) => {
        tx.doc.mappings[copy.teamKey] = copy;
      });
      return clone(copy);
    },
    async delete(teamKey) {
      ctx.assertOpen();
      return ctx.queue.submit((tx) => {
        if (!tx.doc.mappings[teamKey]) return false;
        delete tx.doc.mappings[teamKey];
        return true;
      });
    },
  };
}

export function createDedupLedger(ctx: StoreContext): DedupLedger {
  return {
    async put(issueId, entry) {
      ctx.assertOpen();
      toMs(entry.expiresAt, 'expiresAt');
      const row = { ...clone(entry), issueId };
      await ctx.queue.submit((tx) => {
        tx.doc.dedup[issueId] = row;
      });
      return clone(row);
    },
    async get(issueId) {
      ctx.assertOpen();
      const row = ctx.doc().dedup[issueId];
      return row && isLive(row.expiresAt, ctx.clock()) ? clone(row) : undefined;
    },
    async listActive() {
      ctx.assertOpen();
      const now = ctx.clock();
      return Object.values(ctx.doc().dedup)
        .filter((r) => isLive(r.expiresAt, now))
        .map((r) => clone(r));
    },
    async delete(issueId) {
      ctx.assertOpen();
      return ctx.queue.submit((tx) => {
        if (!tx.doc.dedup[issueId]) return false;
        delete tx.doc.dedup[issueId];
        return true;
      });
    },
    async purgeExpired() {
      ctx.assertOpen();
      return ctx.queue.submit((tx) => {
        const now = ctx.clock();
        let moved = 0;
        for (const row of Object.values(tx.doc.dedup)) {
          if (isLive(row.expiresAt, now)) continue;
          tx.appendHistory('dedup', row);
          delete tx.doc.dedup[row.issueId];
          moved++;
        }
        // Claim dedup keys age out on the same sweep.
        for (const [key, entry] of Object.entries(tx.doc.claimKeys)) {
          if (entry.expiresAt <= now) delete tx.doc.claimKeys[key];
        }
        return moved;
      });
    },
  };
}

export function createTokenLedger(ctx: StoreContext): TokenLedger {
  return {
    async consumeTokenJti(jti, expiresAt) {
      ctx.assertOpen();
      if (!jti) throw new ValidationError('jti is required', 'jti');
      const expMs = toMs(expiresAt, 'expiresAt');
      return ctx.queue.submit((tx) => {
        if (tx.doc.tokens[jti] !== undefined) return false;
        tx.doc.tokens[jti] = expMs;
        return true;
      });
    },
    async purgeExpired() {
      ctx.assertOpen();
      return ctx.queue.submit((tx) => {
        const now = ctx.clock();
        let removed = 0;
        for (const [jti, exp] of Object.entries(tx.doc.tokens)) {
          if (exp > now) continue;
          delete tx.doc.tokens[jti];
          removed++;
        }
        return removed;
      });
    },
  };
}

export function createSettingsRepo(ctx: StoreContext): SettingsRepo {
  return {
    async get<T>(key: string) {
      ctx.assertOpen();
      const value = ctx.doc().settings[key];
      return value === undefined ? undefined : (clone(value) as T);
    },
    async set(key, value) {
      ctx.assertOpen();
      if (value === undefined) throw new ValidationError('a setting value must be JSON, not undefined', key);
      const copy: unknown = JSON.parse(JSON.stringify(value));
      await ctx.queue.submit((tx) => {
        tx.doc.settings[key] = copy;
      });
    },
    async delete(key) {
      ctx.assertOpen();
      return ctx.queue.submit((tx) => {
        if (!(key in tx.doc.settings)) return false;
        delete tx.doc.settings[key];
        return true;
      });
    },
    async all() {
      ctx.assertOpen();
      return clone(ctx.doc().settings);
    },
  };
}

export function createAdminSessionRepo(ctx: StoreContext): AdminSessionRepo {
  const removeWhere = (pick: (s: { codeFingerprint: string; expiresAt: string; id: string }) => boolean) =>
    ctx.queue.submit((tx) => {
      let removed = 0;
      for (const s of Object.values(tx.doc.adminSessions)) {
        if (!pick(s)) continue;
        delete tx.doc.adminSessions[s.id];
        removed++;
      }
      return removed;
    });

  return {
    async create(session) {
      ctx.assertOpen();
      toMs(session.expiresAt, 'expiresAt');
      const copy = clone(session);
      await ctx.queue.submit((tx) => {
        if (tx.doc.adminSessions[copy.id]) throw new ConflictError(`session ${copy.id} already exists`);
        tx.doc.adminSessions[copy.id] = copy;
      });
      return clone(copy);
    },
    async getByTokenHash(tokenHash) {
      ctx.assertOpen();
      const now = ctx.clock();
      const s = Object.values(ctx.doc().adminSessions).find((x) => x.tokenHash === tokenHash);
      return s && isLive(s.expiresAt, now) ? clone(s) : undefined;
    },
    async revoke(id) {
      ctx.assertOpen();
      return (await removeWhere((s) => s.id === id)) > 0;
    },
    async revokeAll() {
      ctx.assertOpen();
      return removeWhere(() => true);
    },
    async revokeWhereFingerprintNot(fingerprint) {
      ctx.assertOpen();
      return removeWhere((s) => s.codeFingerprint !== fingerprint);
    },
    async purgeExpired() {
      ctx.assertOpen();
      const now = ctx.clock();
      return removeWhere((s) => !isLive(s.expiresAt, now));
    },
  };
}

export function createSecretRepo(ctx: StoreContext): SecretRepo {
  return {
    async list() {
      ctx.assertOpen();
      return Object.values(ctx.doc().secrets ?? {})
        .sort((a, b) => (a.id < b.id ? -1 : 1))
        .map((s) => clone(s));
    },
    async get(id) {
      ctx.assertOpen();
      const found = ctx.doc().secrets?.[id];
      return found ? clone(found) : undefined;
    },
    async put(secret) {
      ctx.assertOpen();
      if (!secret.id || !secret.sealed) throw new ValidationError('a sealed secret needs an id and a sealed value', 'id');
      const copy = clone(secret);
      await ctx.queue.submit((tx) => {
        tx.doc.secrets = { ...tx.doc.secrets, [copy.id]: copy };
      });
      return clone(copy);
    },
    async delete(id) {
      ctx.assertOpen();
      return ctx.queue.submit((tx) => {
        if (!tx.doc.secrets?.[id]) return false;
        const rest = { ...tx.doc.secrets };
        delete rest[id];
        tx.doc.secrets = rest;
        return true;
      });
    },
  };
}
