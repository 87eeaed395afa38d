import type { RegisterSecret } from '../config/index.js';
import type { Mapping } from '../domain/mapping.js';
import { secretId, type SealedSecret, type SecretScope } from '../domain/sealed-secret.js';
import { isSecretEnvName } from '../domain/secret-env-name.js';
import { NotFoundError } from '../errors/index.js';
import type { Store } from '../store/store.js';
import { SecretUnreadableError, type SecretBox } from './secret-box.js';
import { validateSecretName, validateSecretValue } from './secret-names.js';

/** A secret as the API and the panels show it: never its value. */
export interface SecretEntry {
  name: string;
  scope: 'global' | 'mapping';
  teamKey?: string;
  fingerprint: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  updatedBy: string;
}

/** Setting or reading a value needs the key; listing names does not. */
export class SecretsKeyMissingError extends Error {
  override readonly name = 'SecretsKeyMissingError';
  constructor() {
    super('SECRETS_ENCRYPTION_KEY is not set, so secrets cannot be stored or read; set it to 32 random bytes (openssl rand -base64 32) and restart');
  }
}

export interface SecretsServiceDeps {
  store: Store;
  clock: () => number;
  /** Unset without `SECRETS_ENCRYPTION_KEY`: names list, values neither go in nor come out. */
  box: SecretBox | undefined;
  /** Told of every value set, opened or handed out: from then on no log, page, comment or record shows it. */
  registerSecret?: RegisterSecret;
}

export interface SecretsService {
  readonly writable: boolean;
  listGlobal(): Promise<SecretEntry[]>;
  setGlobal(name: unknown, value: unknown, actor: string): Promise<SecretEntry>;
  deleteGlobal(name: string, actor: string): Promise<void>;
  listTeam(teamKey: string): Promise<SecretEntry[]>;
  setTeam(teamKey: string, name: unknown, value: unknown, actor: string): Promise<SecretEntry>;
  deleteTeam(teamKey: string, name: string, actor: string): Promise<void>;
  /** What a run of this mapping receives: every global secret, overridden by the mapping's own of the same name. */
  valuesFor(mapping: Mapping): Promise<Record<string, string>>;
  /**
   * At start, once the store is open: re-seals values sealed under the
   * previous key, moves credential values out of mappings' plain `extraEnv`
   * into the broker, and registers every value with the redactor.
   */
  prepare(actor?: string): Promise<SecretsPreparation>;
}

export interface SecretsPreparation {
  resealed: number;
  /** `ENG/NPM_TOKEN`: credential-named extraEnv entries now kept sealed. */
  movedFromExtraEnv: string[];
  /** Ids that do not open with either key (a wrong key, or an altered store). */
  unreadable: string[];
}

function entryOf(secret: SealedSecret): SecretEntry {
  return {
    name: secret.name,
    scope: secret.scope,
    ...(secret.teamKey !== undefined ? { teamKey: secret.teamKey } : {}),
    fingerprint: secret.fingerprint,
    version: secret.version,
    createdAt: secret.createdAt,
    updatedAt: secret.updatedAt,
    updatedBy: secret.updatedBy,
  };
}

/**
 * The secrets broker: values stored once, sealed with AES-256-GCM under the
 * operator's `SECRETS_ENCRYPTION_KEY`, answered by name and fingerprint only,
 * and opened for one purpose: handing a run its mapping's secrets. Every
 * change is audited by name.
 */
export function createSecretsService(deps: SecretsServiceDeps): SecretsService {
  const { store, clock, box } = deps;
  const register = deps.registerSecret ?? (() => undefined);
  const now = () => new Date(clock()).toISOString();
  const requireBox = (): SecretBox => {
    if (!box) throw new SecretsKeyMissingError();
    return box;
  };
  const requireMapping = async (teamKey: string): Promise<Mapping> => {
    const mapping = await store.mappings.get(teamKey);
    if (!mapping) throw new NotFoundError(`No project mapping ${teamKey}`);
    return mapping;
  };
  const listScope = async (where: SecretScope) =>
    (await store.secrets.list()).filter((s) => s.scope === where.scope && (where.scope === 'global' || s.teamKey === where.teamKey));
  const open = (secret: SealedSecret): string => {
    try {
      return requireBox().open(secret.sealed, secret.keyId, secret.id);
    } catch (error) {
      if (error instanceof SecretUnreadableError) throw new SecretUnreadableError(`Secret ${secret.id} cannot be read: ${error.message}`);
      throw error;
    }
  };

  async function set(where: SecretScope, rawName: unknown, rawValue: unknown, actor: string): Promise<SecretEntry> {
    const name = validateSecretName(rawName);
    const value = validateSecretValue(rawValue);
    const sealer = requireBox();
    // Registered before it is stored: from here on a run, an error or a log line that quotes it shows [REDACTED].
    register(value);
    const id = secretId(where, name);
    const before = await store.secrets.get(id);
    const at = now();
    const saved = await store.secrets.put({
      id,
      scope: where.scope,
      ...(where.scope === 'mapping' ? { teamKey: where.teamKey } : {}),
      name,
      ...sealer.seal(value, id),
      fingerprint: sealer.fingerprint(value),
      version: (before?.version ?? 0) + 1,
      createdAt: before?.createdAt ?? at,
      updatedAt: at,
      updatedBy: actor,
    });
    await store.audit.append({
      at,
      actor,
      action: before ? 'secret.rotated' : 'secret.set',
      target: id,
      after: { secret: name, scope: where.scope, ...(where.scope === 'mapping' ? { teamKey: where.teamKey } : {}), version: saved.version },
    });
    return entryOf(saved);
  }

  async function remove(where: SecretScope, rawName: string, actor: string): Promise<void> {
    const name = validateSecretName(rawName);
    const id = secretId(where, name);
    if (!(await store.secrets.delete(id))) {
      throw new NotFoundError(where.scope === 'global' ? `No global secret ${name}` : `No secret ${name} for mapping ${where.teamKey}`);
    }
    await store.audit.append({ at: now(), actor, action: 'secret.deleted', target: id, after: { secret: name, scope: where.scope, ...(where.scope === 'mapping' ? { teamKey: where.teamKey } : {}) } });
  }

  return {
    writable: box !== undefined,

    listGlobal: async () => (await listScope({ scope: 'global' })).map(entryOf),
    setGlobal: (name, value, actor) => set({ scope: 'global' }, name, value, actor),
    deleteGlobal: (name, actor) => remove({ scope: 'global' }, name, actor),

    async listTeam(teamKey) {
      await requireMapping(teamKey);
      return (await listScope({ scope: 'mapping', teamKey })).map(entryOf);
    },
    async setTeam(teamKey, name, value, actor) {
      await requireMapping(teamKey);
      return set({ scope: 'mapping', teamKey }, name, value, actor);
    },
    async deleteTeam(teamKey, name, actor) {
      await requireMapping(teamKey);
      await remove({ scope: 'mapping', teamKey }, name, actor);
    },

    async valuesFor(mapping) {
      const all = await store.secrets.list();
      const global = all.filter((s) => s.scope === 'global');
      const own = all.filter((s) => s.scope === 'mapping' && s.teamKey === mapping.teamKey);
      const values: Record<string, string> = {};
      for (const secret of [...global, ...own]) {
        const value = open(secret);
        register(value);
        values[secret.name] = value;
      }
      return values;
    },

    async prepare(actor = 'system:secrets-broker') {
      const result: SecretsPreparation = { resealed: 0, movedFromExtraEnv: [], unreadable: [] };
      if (!box) return result;
      for (const secret of await store.secrets.list()) {
        let value: string;
        try {
          value = open(secret);
        } catch (error) {
          if (!(error instanceof SecretUnreadableError)) throw error;
          result.unreadable.push(secret.id);
          continue;
        }
        register(value);
        if (secret.keyId === box.keyId) continue;
        await store.secrets.put({ ...secret, ...box.seal(value, secret.id), fingerprint: box.fingerprint(value) });
        result.resealed++;
      }
      // Credentials kept in a mapping's extraEnv before the broker existed: sealed, then taken out of the plain mapping.
      for (const mapping of await store.mappings.list()) {
        const credentials = Object.entries(mapping.extraEnv).filter(([name]) => isSecretEnvName(name));
        if (credentials.length === 0) continue;
        const kept: Record<string, string> = { ...mapping.extraEnv };
        for (const [name, value] of credentials) {
          try {
            await set({ scope: 'mapping', teamKey: mapping.teamKey }, name, value, actor);
          } catch {
            // A name the broker refuses (reserved) stays where it was; the operator sees it in extraEnv.
            continue;
          }
          delete kept[name];
          result.movedFromExtraEnv.push(`${mapping.teamKey}/${name}`);
        }
        await store.mappings.upsert({ ...mapping, extraEnv: kept, updatedAt: now() });
      }
      return result;
    },
  };
}
