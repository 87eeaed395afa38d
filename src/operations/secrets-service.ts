import type { RegisterSecret } from '../config/index.js';
import type { Mapping } from '../domain/mapping.js';
import { NotFoundError, ValidationError } from '../errors/index.js';
import type { Store } from '../store/store.js';
import type { FlyAppClient } from '../runners/fly/fly-app-client.js';
import { ownerTeamOf, planTeamSecrets, teamSecretPlanEnv, teamSecretPrefix, validateSecretName, validateSecretValue, type TeamSecretPlan } from './team-secret-plan.js';

/** A secret as the API shows it: never its value. */
export interface SecretEntry {
  /** The name a run sees (without the team prefix for team secrets). */
  name: string;
  /** The Fly app secret name. */
  storedName: string;
  digest: string;
  createdAt: string;
}

export interface SecretsServiceDeps {
  fly: FlyAppClient;
  store: Store;
  clock: () => number;
  /**
   * Told of every value set, before it goes to Fly: from then on a run that
   * prints it, an error that quotes it, or a log line never shows it. (Fly
   * answers digests only, so values set before a restart cannot be learned.)
   */
  registerSecret?: RegisterSecret;
}

export interface SecretsService {
  listGlobal(): Promise<SecretEntry[]>;
  setGlobal(name: unknown, value: unknown, actor: string): Promise<SecretEntry>;
  deleteGlobal(name: string, actor: string): Promise<void>;
  listTeam(teamKey: string): Promise<SecretEntry[]>;
  setTeam(teamKey: string, name: unknown, value: unknown, actor: string): Promise<SecretEntry>;
  deleteTeam(teamKey: string, name: string, actor: string): Promise<void>;
  /** For the dispatcher: which app secrets a run of this mapping keeps, renames and drops. */
  secretsPlanFor(mapping: Mapping): Promise<TeamSecretPlan>;
  /** The plan as runner environment (names only). Throws when Fly cannot list the names. */
  secretsEnvFor(mapping: Mapping): Promise<Record<string, string>>;
}

/**
 * Global and per-team secrets, stored as Fly app secrets of the sessions app
 * (team secrets as `<TEAM>_<NAME>`). Values go in and never come back out:
 * Fly itself answers only names and digests. Every change is audited by name.
 */
export function createSecretsService(deps: SecretsServiceDeps): SecretsService {
  const { fly, store, clock } = deps;
  const register = deps.registerSecret ?? (() => undefined);

  const teamKeys = async () => (await store.mappings.list()).map((m) => m.teamKey);
  const requireMapping = async (teamKey: string): Promise<Mapping> => {
    const mapping = await store.mappings.get(teamKey);
    if (!mapping) throw new NotFoundError(`No project mapping ${teamKey}`);
    return mapping;
  };
  const audit = (action: string, storedName: string, actor: string, scope: Record<string, string>) =>
    store.audit.append({ at: new Date(clock()).toISOString(), actor, action, target: storedName, after: { secret: storedName, ...scope } });
  const entryFor = async (storedName: string, name: string): Promise<SecretEntry> => {
    const found = (await fly.listSecrets()).find((s) => s.name === storedName);
    return { name, storedName, digest: found?.digest ?? '', createdAt: found?.createdAt ?? '' };
  };

  return {
    async listGlobal() {
      const keys = await teamKeys();
      return (await fly.listSecrets()).filter((s) => ownerTeamOf(s.name, keys) === undefined).map((s) => ({ name: s.name, storedName: s.name, digest: s.digest, createdAt: s.createdAt }));
    },

    async setGlobal(rawName, rawValue, actor) {
      const name = validateSecretName(rawName);
      const value = validateSecretValue(rawValue);
      const owner = ownerTeamOf(name, await teamKeys());
      // Stored under a team's prefix it would be that team's secret, hidden from every other run.
      if (owner !== undefined) {
        throw new ValidationError(`name ${name} starts with ${teamSecretPrefix(owner)}, the prefix of mapping ${owner}'s secrets; set it with POST /api/mappings/${owner}/secrets or choose another name`, 'name');
      }
      register(value);
      await fly.setSecrets([{ key: name, value }]);
      await audit('secret.set', name, actor, { scope: 'global' });
      return entryFor(name, name);
    },

    async deleteGlobal(rawName, actor) {
      const name = validateSecretName(rawName);
      const keys = await teamKeys();
      const exists = (await fly.listSecrets()).some((s) => s.name === name && ownerTeamOf(s.name, keys) === undefined);
      if (!exists) throw new NotFoundError(`No global secret ${name}`);
      await fly.unsetSecrets([name]);
      await audit('secret.deleted', name, actor, { scope: 'global' });
    },

    async listTeam(teamKey) {
      await requireMapping(teamKey);
      const keys = await teamKeys();
      const prefix = teamSecretPrefix(teamKey);
      return (await fly.listSecrets())
        .filter((s) => ownerTeamOf(s.name, keys) === teamKey)
        .map((s) => ({ name: s.name.slice(prefix.length), storedName: s.name, digest: s.digest, createdAt: s.createdAt }));
    },

    async setTeam(teamKey, rawName, rawValue, actor) {
      await requireMapping(teamKey);
      const name = validateSecretName(rawName);
      const value = validateSecretValue(rawValue);
      const storedName = `${teamSecretPrefix(teamKey)}${name}`;
      const owner = ownerTeamOf(storedName, await teamKeys());
      if (owner !== teamKey) {
        throw new ValidationError(`name ${name} would be stored as ${storedName}, which belongs to mapping ${owner ?? '?'} (a longer team prefix); choose another name`, 'name');
      }
      register(value);
      await fly.setSecrets([{ key: storedName, value }]);
      await audit('secret.set', storedName, actor, { scope: 'team', teamKey });
      return entryFor(storedName, name);
    },

    async deleteTeam(teamKey, rawName, actor) {
      await requireMapping(teamKey);
      const name = validateSecretName(rawName);
      const storedName = `${teamSecretPrefix(teamKey)}${name}`;
      const exists = (await fly.listSecrets()).some((s) => s.name === storedName);
      if (!exists) throw new NotFoundError(`No secret ${name} for mapping ${teamKey}`);
      await fly.unsetSecrets([storedName]);
      await audit('secret.deleted', storedName, actor, { scope: 'team', teamKey });
    },

    async secretsPlanFor(mapping) {
      const names = (await fly.listSecrets()).map((s) => s.name);
      return planTeamSecrets(mapping.teamKey, names, await teamKeys());
    },

    async secretsEnvFor(mapping) {
      // Computed for every mapping, not only fly-machines ones: RUNNER_MODE=fly can send any run to
      // the sessions app, and a machine started without the plan would keep every team's secrets.
      // A failed listing throws, so the dispatcher requeues the run rather than starting it unfiltered.
      return teamSecretPlanEnv(await this.secretsPlanFor(mapping));
    },
  };
}
