import type { Mapping } from '../domain/mapping.js';
import { problemsText } from '../domain/check-input.js';
import { isSecretEnvName } from '../domain/secret-env-name.js';
import { REDACTED } from '../domain/secret-patterns.js';
import { ValidationError } from '../errors/index.js';

/**
 * `/api` answers show a mapping's credential env values as `[REDACTED]`
 * once the redactor knows them. A client that reads a mapping and posts it
 * back unchanged must not store that placeholder over the real value.
 */
export function keepRedactedEnv(next: Mapping, existing: Mapping | undefined): Mapping {
  if (!existing) return next;
  const extraEnv = Object.fromEntries(
    Object.entries(next.extraEnv).map(([name, value]) => [name, value === REDACTED && existing.extraEnv[name] !== undefined ? existing.extraEnv[name] : value]),
  );
  return { ...next, extraEnv };
}

/** A mapping as the audit trail keeps it: the trail is served and copied to history files, so credential env values stay out. */
export function maskSecretEnv(mapping: Mapping): Mapping {
  return { ...mapping, extraEnv: Object.fromEntries(Object.entries(mapping.extraEnv).map(([name, value]) => [name, isSecretEnvName(name) ? REDACTED : value])) };
}

/**
 * `extraEnv` is for values anyone who can read the mapping may see. A
 * credential-named entry that is new or changed is refused with the way to
 * store it instead; one already there (kept from before the secrets broker,
 * until the next start moves it) may stay as it is.
 */
export function refuseNewCredentialEnv(next: Mapping, existing: Mapping | undefined): void {
  const problems = Object.entries(next.extraEnv)
    .filter(([name, value]) => isSecretEnvName(name) && value !== REDACTED && existing?.extraEnv[name] !== value)
    .map(([name]) => ({
      field: `extraEnv.${name}`,
      message: `looks like a credential, and extraEnv is shown in clear to every operator; store it with POST /api/mappings/${next.teamKey}/secrets {"name":"${name}","value":"…"} (or under Secrets in the panel) and remove it here`,
    }));
  if (problems.length > 0) throw new ValidationError(`Invalid mapping: ${problemsText(problems)}`, problems[0]?.field, problems);
}
