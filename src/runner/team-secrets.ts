/**
 * Per-team secrets inside a Fly machine of the sessions app.
 *
 * Fly hands a machine ALL of its app's secrets as environment variables, and
 * secret values cannot be read back from Fly, so the orchestrator cannot pick
 * one team's values for a run. It sends the names instead (values never leave
 * Fly), in three variables:
 *
 * - `AI_IMPLEMENT_TEAM_SECRET_PREFIX` — this run's team prefix, e.g. `ENG_`
 * - `AI_IMPLEMENT_TEAM_SECRETS` — comma-separated stored names of this team's
 *   secrets, e.g. `ENG_MY_TOKEN,ENG_NPM_TOKEN`
 * - `AI_IMPLEMENT_FOREIGN_SECRETS` — stored names of every other team's
 *   secrets, e.g. `OPS_MY_TOKEN`
 *
 * The runner CLI applies `applyTeamSecrets(process.env)` before it runs any
 * step or agent: other teams' secrets are removed, and this team's appear
 * under their own names (`ENG_MY_TOKEN` → `MY_TOKEN`). Global secrets (no
 * team prefix) are left as they are; a team secret wins over a global one of
 * the same name. Without the variables (GitHub Actions, local runs) nothing
 * changes.
 */
export const TEAM_SECRET_ENV = {
  prefix: 'AI_IMPLEMENT_TEAM_SECRET_PREFIX',
  teamSecrets: 'AI_IMPLEMENT_TEAM_SECRETS',
  foreignSecrets: 'AI_IMPLEMENT_FOREIGN_SECRETS',
} as const;

export type Env = Record<string, string | undefined>;

function names(list: string | undefined): string[] {
  return (list ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
}

/** Returns a new environment with the team's secrets unprefixed and other teams' secrets removed. */
export function applyTeamSecrets(env: Env): Env {
  const out: Env = { ...env };
  const prefix = env[TEAM_SECRET_ENV.prefix] ?? '';
  for (const name of names(env[TEAM_SECRET_ENV.foreignSecrets])) delete out[name];
  for (const name of names(env[TEAM_SECRET_ENV.teamSecrets])) {
    // Only names carrying the prefix are renamed: a malformed list cannot overwrite arbitrary variables.
    if (!prefix || !name.startsWith(prefix) || name.length === prefix.length) continue;
    const value = out[name];
    delete out[name];
    if (value !== undefined) out[name.slice(prefix.length)] = value;
  }
  return out;
}
