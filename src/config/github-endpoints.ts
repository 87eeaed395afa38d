/**
 * Where GitHub is, derived once from GHE_HOST and GHE_PROTOCOL:
 *
 * | GHE_HOST | REST API | web (clone URLs, links) | Actions OIDC issuer |
 * |---|---|---|---|
 * | unset | https://api.github.com | https://github.com | https://token.actions.githubusercontent.com |
 * | `octocorp.ghe.com` or `api.octocorp.ghe.com` | https://api.octocorp.ghe.com | https://octocorp.ghe.com | https://token.actions.octocorp.ghe.com |
 * | any other host (Enterprise Server, the emulator) | PROTOCOL://HOST/api/v3 | PROTOCOL://HOST | PROTOCOL://HOST/_services/token |
 *
 * GitHub Enterprise Cloud with data residency (GHE.com) serves its REST API
 * on the `api.` subdomain with no `/api/v3` path and signs Actions id tokens
 * with an issuer of its own; Enterprise Server documents
 * `https://HOSTNAME/_services/token` as its issuer.
 */
export interface GitHubEndpoints {
  apiBaseUrl: string;
  webUrl: string;
  actionsOidcIssuer: string;
}

export type GitHubProtocol = 'http' | 'https';

const GITHUB_COM: GitHubEndpoints = {
  apiBaseUrl: 'https://api.github.com',
  webUrl: 'https://github.com',
  actionsOidcIssuer: 'https://token.actions.githubusercontent.com',
};

/** `octocorp.ghe.com` or `api.octocorp.ghe.com`; the subdomain is captured. */
const GHE_COM_HOST = /^(?:api\.)?([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\.ghe\.com$/;
const HOST_AND_PORT = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/;
const GITHUB_COM_HOSTS = new Set(['github.com', 'api.github.com', 'www.github.com']);

function normalised(host: string): string {
  return host.trim().replace(/\/+$/, '').toLowerCase();
}

/**
 * What is wrong with GHE_HOST, each naming the variable and the fix; empty
 * when it can be right. Checked at boot, before anything listens.
 */
export function gheHostProblems(rawHost: string | undefined, protocol: GitHubProtocol | undefined): string[] {
  if (rawHost === undefined) return [];
  const host = normalised(rawHost);
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(host)) {
    return [`GHE_HOST must be a host name, not a URL: drop "${host.slice(0, host.indexOf('://') + 3)}" (the scheme goes in GHE_PROTOCOL), e.g. GHE_HOST=github.example.com or GHE_HOST=octocorp.ghe.com`];
  }
  if (host.includes('/')) {
    return [`GHE_HOST must be a host name without a path: drop "${host.slice(host.indexOf('/'))}" (/api/v3 is added for GitHub Enterprise Server; GHE.com uses api.<subdomain>.ghe.com), e.g. GHE_HOST=github.example.com`];
  }
  if (!HOST_AND_PORT.test(host)) return [`GHE_HOST must be a host name with an optional :port, such as github.example.com or octocorp.ghe.com (got "${rawHost.trim()}")`];
  if (GITHUB_COM_HOSTS.has(host)) return ['GHE_HOST names github.com, which is the default: unset GHE_HOST (it is for GitHub Enterprise Server and GHE.com only)'];
  const name = host.replace(/:\d+$/, '');
  if (name.endsWith('.ghe.com') || name === 'ghe.com') {
    if (!GHE_COM_HOST.test(host)) return [`GHE_HOST for GitHub Enterprise Cloud with data residency must be <subdomain>.ghe.com (or api.<subdomain>.ghe.com) with no port, e.g. GHE_HOST=octocorp.ghe.com (got "${host}")`];
    if (protocol === 'http') return ['GHE_PROTOCOL must be https (or unset) when GHE_HOST is a ghe.com host: GHE.com is served over https only, e.g. GHE_PROTOCOL=https'];
  }
  return [];
}

/** The endpoints for a GHE_HOST that passed `gheHostProblems`. */
export function githubEndpoints(rawHost: string | undefined, protocol: GitHubProtocol = 'https'): GitHubEndpoints {
  if (rawHost === undefined) return GITHUB_COM;
  const host = normalised(rawHost);
  const dataResidency = GHE_COM_HOST.exec(host);
  if (dataResidency) {
    const subdomain = dataResidency[1]!;
    return {
      apiBaseUrl: `https://api.${subdomain}.ghe.com`,
      webUrl: `https://${subdomain}.ghe.com`,
      actionsOidcIssuer: `https://token.actions.${subdomain}.ghe.com`,
    };
  }
  const root = `${protocol}://${host}`;
  return { apiBaseUrl: `${root}/api/v3`, webUrl: root, actionsOidcIssuer: `${root}/_services/token` };
}
