import { ValidationError } from '../errors/index.js';
import { TEAM_SECRET_ENV } from '../runner/team-secrets.js';

export const SECRET_NAME_PATTERN = /^[A-Z][A-Z0-9_]*$/;
/** Fly accepts long names, but a stored name is the team prefix plus this, and env names past this are a mistake. */
export const MAX_SECRET_NAME_LENGTH = 100;
/** Secrets are tokens and keys; anything near this is a file that belongs elsewhere. */
export const MAX_SECRET_VALUE_BYTES = 32 * 1024;

/** `ENG` → `ENG_`; characters an env name cannot hold become `_` (a Jira key may hold `-`). */
export function teamSecretPrefix(teamKey: string): string {
  return `${teamKey.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}_`;
}

export function validateSecretName(name: unknown, field = 'name'): string {
  if (typeof name !== 'string' || name === '') throw new ValidationError(`${field} is required`, field);
  if (name.length > MAX_SECRET_NAME_LENGTH) throw new ValidationError(`${field} must be at most ${MAX_SECRET_NAME_LENGTH} characters`, field);
  if (!SECRET_NAME_PATTERN.test(name)) {
    throw new ValidationError(`${field} must be upper-case letters, digits and _ and start with a letter (e.g. MY_TOKEN)`, field);
  }
  return name;
}

export function validateSecretValue(value: unknown, field = 'value'): string {
  if (typeof value !== 'string' || value === '') throw new ValidationError(`${field} is required and must be a non-empty string`, field);
  if (Buffer.byteLength(value, 'utf8') > MAX_SECRET_VALUE_BYTES) throw new ValidationError(`${field} must be at most ${MAX_SECRET_VALUE_BYTES} bytes`, field);
  return value;
}

/**
 * The team a stored secret name belongs to, or undefined for a global one.
 * The longest matching prefix wins, so with teams `ENG` and `ENG_WEB` the
 * name `ENG_WEB_TOKEN` is `ENG_WEB`'s `TOKEN`, not `ENG`'s `WEB_TOKEN`.
 */
export function ownerTeamOf(storedName: string, teamKeys: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestLength = 0;
  for (const key of teamKeys) {
    const prefix = teamSecretPrefix(key);
    if (storedName.startsWith(prefix) && storedName.length > prefix.length && prefix.length > bestLength) {
      best = key;
      bestLength = prefix.length;
    }
  }
  return best;
}

/** What a run of one mapping should see of the sessions app's secrets. */
export interface TeamSecretPlan {
  /** `ENG_`: stripped from this team's secrets. */
  prefix: string;
  /** Stored names of this team's secrets (exposed without the prefix). */
  teamSecrets: string[];
  /** Stored names of every other team's secrets (removed from the environment). */
  foreignSecrets: string[];
}

/** Pure: splits the app's secret names for one team. Global names appear in neither list and stay as they are. */
export function planTeamSecrets(teamKey: string, storedNames: readonly string[], teamKeys: readonly string[]): TeamSecretPlan {
  const keys = teamKeys.includes(teamKey) ? teamKeys : [...teamKeys, teamKey];
  const teamSecrets: string[] = [];
  const foreignSecrets: string[] = [];
  for (const name of [...storedNames].sort()) {
    const owner = ownerTeamOf(name, keys);
    if (owner === teamKey) teamSecrets.push(name);
    else if (owner !== undefined) foreignSecrets.push(name);
  }
  return { prefix: teamSecretPrefix(teamKey), teamSecrets, foreignSecrets };
}

/** The plan as runner environment variables (names only; Fly delivers the values). */
export function teamSecretPlanEnv(plan: TeamSecretPlan): Record<string, string> {
  return {
    [TEAM_SECRET_ENV.prefix]: plan.prefix,
    [TEAM_SECRET_ENV.teamSecrets]: plan.teamSecrets.join(','),
    [TEAM_SECRET_ENV.foreignSecrets]: plan.foreignSecrets.join(','),
  };
}
