import { parse } from 'yaml';

/**
 * The GitHub App manifest, from app.yml with this installation's URLs, in the
 * fields GitHub's "Registering a GitHub App from a manifest" names: name, url,
 * hook_attributes, redirect_url, callback_urls, description, public,
 * default_permissions, default_events.
 */
export interface GitHubAppManifest {
  name: string;
  url: string;
  description?: string;
  hook_attributes: { url: string; active: boolean };
  redirect_url: string;
  callback_urls: string[];
  public: boolean;
  default_permissions: Record<string, string>;
  default_events: string[];
}

export interface ManifestInputs {
  /** app.yml as text. */
  appYml: string;
  /** Where the orchestrator is reached, without a trailing slash. */
  publicUrl: string;
  /** Where GitHub sends the person back with the one-time code (setup's local page). */
  redirectUrl: string;
  /** Overrides app.yml's name (App names are unique on a GitHub instance). */
  name?: string;
}

export function buildGitHubAppManifest(inputs: ManifestInputs): GitHubAppManifest {
  const app = parse(inputs.appYml) as Record<string, unknown>;
  const text = (key: string): string | undefined => (typeof app[key] === 'string' ? (app[key] as string) : undefined);
  const permissions = (app.default_permissions ?? {}) as Record<string, unknown>;
  const events = Array.isArray(app.default_events) ? (app.default_events as unknown[]) : [];
  const description = text('description');
  return {
    name: inputs.name ?? text('name') ?? 'AI-Implement',
    url: text('url') ?? inputs.publicUrl,
    ...(description ? { description } : {}),
    // The orchestrator's Probot-compatible webhook route.
    hook_attributes: { url: `${inputs.publicUrl}/api/github/webhook`, active: true },
    redirect_url: inputs.redirectUrl,
    // app.yml points people at the admin panels after authorizing; the same page on this host.
    callback_urls: [`${inputs.publicUrl}${pathOf(text('redirect_url')) ?? '/admin'}`],
    public: app.public === true,
    default_permissions: Object.fromEntries(Object.entries(permissions).map(([k, v]) => [k, String(v)])),
    default_events: events.map(String),
  };
}

function pathOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const path = new URL(url).pathname;
    return path === '/' ? undefined : path.replace(/\/+$/, '');
  } catch {
    return undefined;
  }
}
