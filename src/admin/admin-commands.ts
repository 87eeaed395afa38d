import { z } from 'zod';
import { RUNNER_MODES, type RunnerMode } from '../config/index.js';
import { checkInput, problemsText } from '../domain/check-input.js';
import type { DedupEntry } from '../domain/dedup-entry.js';
import type { Mapping } from '../domain/mapping.js';
import { parseMapping } from '../domain/mapping-schema.js';
import { imageNotAllowedMessage, isImageAllowed, projectRunnerImage } from '../domain/runner-image.js';
import { NotFoundError, ValidationError } from '../errors/index.js';
import { SETTINGS } from '../domain/settings-keys.js';
import type { Store } from '../store/store.js';
import { keepRedactedEnv, maskSecretEnv, refuseNewCredentialEnv } from './mapping-secret-env.js';
import { recordAdminChange } from './record-admin-change.js';
import { readRunnerMode, readSettings, SETTING_KEYS, type RunnerModeView, type RuntimeEnv, type SettingKey, type SettingView } from './runtime-settings.js';

/**
 * Every change an operator can make to projects and runtime settings, in one
 * place: the JSON API and the admin panels are two doors to these commands,
 * so they validate, store and audit the same way. `actor` is the admin
 * session id (never its token).
 */

/** What `PATCH /api/mappings/:teamKey` takes, for the API description: any mapping fields, merged over the stored mapping and validated whole. */
export const mappingPatchSchema = z
  .record(z.string(), z.unknown())
  .describe('Any mapping fields as a JSON merge patch (RFC 7396): objects merge, null removes an optional field; teamKey cannot change');

export const runnerModeSchema = z.object({ mode: z.enum(RUNNER_MODES) }).strict();

/** `null` clears a stored value (back to the default). */
export const settingsSchema = z
  .object({
    flySessionsApp: z
      .string()
      .trim()
      .regex(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/, 'must be a Fly app name (lowercase letters, digits and "-", 3 to 63 characters)')
      .nullable()
      .optional(),
    flySessionsRegion: z.string().trim().regex(/^[a-z]{3}$/, 'must be a Fly region code such as iad or ams').nullable().optional(),
  })
  .strict()
  .refine((b) => SETTING_KEYS.some((k) => b[k] !== undefined), { message: `send at least one of ${SETTING_KEYS.join(', ')}` });
export type SettingsInput = z.output<typeof settingsSchema>;

/** Parses with a schema or throws a ValidationError naming every bad field. */
export function validated<S extends z.ZodType>(schema: S, value: unknown, where = 'body'): z.output<S> {
  const checked = checkInput(schema, value, { where });
  if (checked.ok) return checked.data;
  throw new ValidationError(`Invalid request: ${problemsText(checked.problems)}`, checked.problems[0]?.field, checked.problems);
}

export interface AdminCommandsDeps {
  store: Store;
  clock: () => number;
  env: RuntimeEnv;
  /** RUNNER_IMAGE_ALLOWLIST; unset = no check (tests). */
  runnerImageAllowlist?: readonly string[];
}

export interface AdminCommands {
  /** Validates with the mapping schema (defaults filled in) and creates or replaces it. */
  saveMapping(input: unknown, actor: string): Promise<{ mapping: Mapping; created: boolean }>;
  updateMapping(teamKey: string, patch: unknown, actor: string): Promise<Mapping>;
  deleteMapping(teamKey: string, actor: string): Promise<Mapping>;
  setRunnerMode(input: unknown, actor: string): Promise<RunnerModeView>;
  updateSettings(input: unknown, actor: string): Promise<{ settings: Record<SettingKey, SettingView>; changed: SettingKey[] }>;
  /** By tracker id or identifier (ENG-12): the panel shows identifiers, the ledger is keyed by id. */
  deleteDedup(key: string, actor: string): Promise<DedupEntry>;
}

export function createAdminCommands({ store, clock, env, runnerImageAllowlist }: AdminCommandsDeps): AdminCommands {
  const now = () => new Date(clock()).toISOString();
  const requireMapping = async (teamKey: string) => {
    const existing = await store.mappings.get(teamKey);
    if (!existing) throw new NotFoundError(`No mapping with teamKey ${teamKey}`);
    return existing;
  };

  /** What the schema alone cannot judge: a credential in plain extraEnv, an image off the allow-list. */
  const refuseUnsafeFields = (mapping: Mapping, existing: Mapping | undefined): void => {
    refuseNewCredentialEnv(mapping, existing);
    const image = projectRunnerImage(mapping);
    if (image !== undefined && runnerImageAllowlist && !isImageAllowed(image, runnerImageAllowlist)) {
      const field = mapping.runnerImage !== undefined ? 'runnerImage' : 'machine.image';
      const message = imageNotAllowedMessage(image, runnerImageAllowlist);
      throw new ValidationError(`Invalid mapping: ${field}: ${message}`, field, [{ field, message }]);
    }
  };

  return {
    async saveMapping(input, actor) {
      const teamKey = typeof input === 'object' && input !== null ? (input as { teamKey?: unknown }).teamKey : undefined;
      const existing = typeof teamKey === 'string' ? await store.mappings.get(teamKey.trim()) : undefined;
      const parsed = parseMapping(input, now(), existing);
      if (!parsed.ok) {
        throw new ValidationError(`Invalid mapping: ${problemsText(parsed.problems)}`, parsed.problems[0]?.field, parsed.problems);
      }
      refuseUnsafeFields(parsed.mapping, existing);
      const mapping = await store.mappings.upsert(keepRedactedEnv(parsed.mapping, existing));
      await recordAdminChange(store.audit, clock, {
        actor,
        action: existing ? 'mapping.replace' : 'mapping.create',
        target: `mapping:${mapping.teamKey}`,
        ...(existing ? { before: maskSecretEnv(existing) } : {}),
        after: maskSecretEnv(mapping),
      });
      return { mapping, created: !existing };
    },

    async updateMapping(teamKey, patch, actor) {
      const existing = await requireMapping(teamKey);
      if (typeof patch !== 'object' || patch === null || Array.isArray(patch) || Object.keys(patch).length === 0) {
        throw new ValidationError('Send a JSON object with the mapping fields to change, e.g. {"paused": true} or {"maxJobMinutes": 120}; null removes an optional field', 'body');
      }
      const changes = patch as Record<string, unknown>;
      if ('teamKey' in changes && changes.teamKey !== teamKey) {
        throw new ValidationError(`teamKey cannot change (it keys the mapping's runs and secrets); create a new mapping with POST /api/mappings and delete ${teamKey}`, 'teamKey');
      }
      const parsed = parseMapping(mergePatch(mappingInputOf(existing), changes), now(), existing);
      if (!parsed.ok) {
        throw new ValidationError(`Invalid mapping: ${problemsText(parsed.problems)}`, parsed.problems[0]?.field, parsed.problems);
      }
      refuseUnsafeFields(parsed.mapping, existing);
      const saved = await store.mappings.upsert(keepRedactedEnv(parsed.mapping, existing));
      const keys = Object.keys(changes) as (keyof Mapping)[];
      const before = maskSecretEnv(existing);
      const after = maskSecretEnv(saved);
      await recordAdminChange(store.audit, clock, {
        actor,
        action: 'mapping.update',
        target: `mapping:${teamKey}`,
        before: Object.fromEntries(keys.map((k) => [k, before[k]])),
        after: Object.fromEntries(keys.map((k) => [k, after[k]])),
      });
      return saved;
    },

    async deleteMapping(teamKey, actor) {
      const existing = await requireMapping(teamKey);
      if (!(await store.mappings.delete(teamKey))) throw new NotFoundError(`No mapping with teamKey ${teamKey}`);
      // Its secrets go with it: a project made later under the same key must not inherit them.
      const secrets = (await store.secrets.list()).filter((s) => s.scope === 'mapping' && s.teamKey === teamKey);
      for (const secret of secrets) await store.secrets.delete(secret.id);
      await recordAdminChange(store.audit, clock, {
        actor,
        action: 'mapping.delete',
        target: `mapping:${teamKey}`,
        before: { ...maskSecretEnv(existing), ...(secrets.length > 0 ? { secretsDeleted: secrets.map((s) => s.name) } : {}) },
      });
      return existing;
    },

    async setRunnerMode(input, actor) {
      const { mode } = validated(runnerModeSchema, input);
      const before = await readRunnerMode(store.settings, env);
      await store.settings.set(SETTINGS.runnerMode, mode satisfies RunnerMode);
      await recordAdminChange(store.audit, clock, { actor, action: 'settings.runnerMode', target: 'setting:runnerMode', before: before.stored, after: mode });
      return readRunnerMode(store.settings, env);
    },

    async updateSettings(input, actor) {
      const body = validated(settingsSchema, input);
      const before = await readSettings(store.settings, env);
      const changed = SETTING_KEYS.filter((k) => body[k] !== undefined);
      for (const key of changed) {
        const value = body[key];
        if (value === null) await store.settings.delete(SETTINGS[key]);
        else if (value !== undefined) await store.settings.set(SETTINGS[key], value);
      }
      const settings = await readSettings(store.settings, env);
      await recordAdminChange(store.audit, clock, {
        actor,
        action: 'settings.update',
        target: `settings:${changed.join(',')}`,
        before: Object.fromEntries(changed.map((k) => [k, before[k].stored])),
        after: Object.fromEntries(changed.map((k) => [k, settings[k].stored])),
      });
      return { settings, changed };
    },

    async deleteDedup(key, actor) {
      const entry = (await store.dedup.get(key)) ?? (await store.dedup.listActive()).find((e) => e.identifier === key);
      if (!entry || !(await store.dedup.delete(entry.issueId))) throw new NotFoundError(`No active dedup entry for ${key}`);
      await recordAdminChange(store.audit, clock, { actor, action: 'dedup.delete', target: `issue:${entry.identifier}`, before: entry });
      return entry;
    },
  };
}

/** A stored mapping as the input it could have been saved from (the dates are the store's). */
function mappingInputOf(mapping: Mapping): Record<string, unknown> {
  const { createdAt: _created, updatedAt: _updated, ...input } = mapping;
  return input;
}

/**
 * RFC 7396 JSON merge patch: objects merge key by key, `null` removes a
 * key, anything else replaces. So `{"extraEnv": {"DEBUG": null}}` drops one
 * variable and keeps the rest.
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch)) {
    // Defined, not assigned: a "__proto__" key stays an own (and so unknown, refused) field instead of a prototype.
    if (value === null) delete out[key];
    else Object.defineProperty(out, key, { value: mergePatch(Object.hasOwn(out, key) ? out[key] : undefined, value), enumerable: true, writable: true, configurable: true });
  }
  return out;
}
