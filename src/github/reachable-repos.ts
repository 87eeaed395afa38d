import type { Mapping } from '../domain/mapping.js';
import type { Store } from '../store/store.js';
import type { KeyedLock } from '../orchestrator/keyed-lock.js';

/** Settings key of the repositories the app's installations can reach. */
export const REACHABLE_REPOS_SETTING = 'githubReachableRepos';

export interface InstallationReach {
  account?: string;
  /** `owner/name`, lower-cased. */
  repos: string[];
  suspended: boolean;
  updatedAt: string;
}

/** Installation id (or `api` for a list read from the API at boot) → what it reaches. */
export type ReachableRepos = Record<string, InstallationReach>;

export type ReachChange =
  | { kind: 'set'; installationId: number; account?: string; repos?: string[] }
  | { kind: 'add' | 'remove'; installationId: number; repos: string[] }
  | { kind: 'suspend' | 'unsuspend'; installationId: number }
  | { kind: 'delete'; installationId: number; repos: string[] };

/** Applies one installation event to the stored list (read-modify-write under the lock). */
export async function updateReachableRepos(store: Store, locks: KeyedLock, change: ReachChange, now: number): Promise<ReachableRepos> {
  return locks.with(REACHABLE_REPOS_SETTING, async () => {
    const all = (await store.settings.get<ReachableRepos>(REACHABLE_REPOS_SETTING)) ?? {};
    const id = String(change.installationId);
    const at = new Date(now).toISOString();
    const entry: InstallationReach = all[id] ?? { repos: [], suspended: false, updatedAt: at };
    const lower = (names: readonly string[]) => names.map((n) => n.toLowerCase());
    switch (change.kind) {
      case 'set':
        if (change.account) entry.account = change.account;
        if (change.repos) entry.repos = lower(change.repos);
        entry.suspended = false;
        break;
      case 'add':
        entry.repos = [...new Set([...entry.repos, ...lower(change.repos)])];
        break;
      case 'remove': {
        const gone = new Set(lower(change.repos));
        entry.repos = entry.repos.filter((r) => !gone.has(r));
        // A list read from the API at boot does not know installations apart.
        if (all.api) all.api.repos = all.api.repos.filter((r) => !gone.has(r));
        break;
      }
      case 'suspend':
      case 'unsuspend':
        entry.suspended = change.kind === 'suspend';
        break;
      case 'delete': {
        delete all[id];
        const gone = new Set(lower(change.repos));
        if (all.api) all.api.repos = all.api.repos.filter((r) => !gone.has(r));
        await store.settings.set(REACHABLE_REPOS_SETTING, all);
        return all;
      }
    }
    entry.updatedAt = at;
    all[id] = entry;
    await store.settings.set(REACHABLE_REPOS_SETTING, all);
    return all;
  });
}

/** Every repository some live (not suspended) installation reaches; undefined when nothing was ever recorded. */
export async function listReachableRepos(store: Store): Promise<string[] | undefined> {
  const all = await store.settings.get<ReachableRepos>(REACHABLE_REPOS_SETTING);
  if (!all) return undefined;
  const repos = new Set<string>();
  for (const entry of Object.values(all)) if (!entry.suspended) for (const r of entry.repos) repos.add(r);
  return [...repos].sort();
}

/** Mappings whose repository no installation reaches (for the admin configuration status). */
export async function unreachableMappings(store: Store, mappings: readonly Mapping[]): Promise<Mapping[] | undefined> {
  const reachable = await listReachableRepos(store);
  if (!reachable) return undefined;
  const set = new Set(reachable);
  return mappings.filter((m) => !set.has(`${m.owner}/${m.repo}`.toLowerCase()));
}
