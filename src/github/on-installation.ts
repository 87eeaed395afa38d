import type { Logger } from 'pino';
import type { GitHubAppDeps } from './github-app-deps.js';
import { updateReachableRepos, type ReachChange } from './reachable-repos.js';
import { installationPayload } from './webhook-payloads.js';

/** `installation` and `installation_repositories`: keeps the reachable-repository list current. */
export async function handleInstallationEvent(deps: GitHubAppDeps, name: 'installation' | 'installation_repositories', payload: unknown, log: Logger): Promise<void> {
  const parsed = installationPayload.safeParse(payload);
  if (!parsed.success) return;
  const change = changeOf(name, parsed.data);
  if (!change) return;
  await updateReachableRepos(deps.store, deps.locks, change, deps.clock());
  log.info({ installationId: change.installationId, change: change.kind }, 'reachable repositories updated');
}

function changeOf(name: 'installation' | 'installation_repositories', data: ReturnType<typeof installationPayload.parse>): ReachChange | undefined {
  const installationId = data.installation.id;
  const names = (list: { full_name: string }[] | null | undefined) => (list ?? []).map((r) => r.full_name);
  if (name === 'installation_repositories') {
    if (data.action === 'added') return { kind: 'add', installationId, repos: names(data.repositories_added) };
    if (data.action === 'removed') return { kind: 'remove', installationId, repos: names(data.repositories_removed) };
    return undefined;
  }
  switch (data.action) {
    case 'created':
    case 'new_permissions_accepted':
    case 'unsuspend':
      return {
        kind: 'set',
        installationId,
        ...(data.installation.account ? { account: data.installation.account.login } : {}),
        ...(data.repositories ? { repos: names(data.repositories) } : {}),
      };
    case 'suspend':
      return { kind: 'suspend', installationId };
    case 'deleted':
      return { kind: 'delete', installationId, repos: names(data.repositories) };
    default:
      return undefined;
  }
}
