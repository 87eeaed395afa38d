import type { Mapping } from '../domain/mapping.js';
import { isSecretEnvName } from '../domain/secret-env-name.js';
import { REDACTED } from '../domain/secret-patterns.js';

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
