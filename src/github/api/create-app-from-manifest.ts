import { Octokit } from '@octokit/rest';
import jwt from 'jsonwebtoken';
import { AuthError, ExternalServiceError, NotFoundError } from '../../errors/index.js';

/** What GitHub hands back once for an App registered from a manifest; `pem` and the secrets are shown nowhere else. */
export interface CreatedGitHubApp {
  id: number;
  slug: string;
  name: string;
  htmlUrl: string;
  owner: string | undefined;
  clientId: string;
  clientSecret: string;
  webhookSecret: string | null;
  pem: string;
}

const quietLog = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * Exchanges the one-time code of the manifest flow for the new App's
 * credentials (`POST /app-manifests/{code}/conversions`, no authentication).
 * A spent, expired or unknown code is a NotFoundError.
 */
export async function createAppFromManifest(code: string, baseUrl: string): Promise<CreatedGitHubApp> {
  const octokit = new Octokit({ baseUrl, log: quietLog, request: { retries: 0 } });
  let data;
  try {
    ({ data } = await octokit.rest.apps.createFromManifest({ code }));
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status === 404 || status === 422) throw new NotFoundError('GitHub does not know this manifest code (it is used once and lasts an hour)', { cause: error });
    if (status === 401 || status === 403) throw new AuthError('GitHub refused the manifest code exchange', { cause: error });
    throw new ExternalServiceError(status ? `GitHub answered ${status} to the manifest code exchange` : `GitHub could not be reached at ${baseUrl}`, {
      service: 'github',
      retryable: status === undefined || status >= 500,
      ...(status ? { status } : {}),
      cause: error,
    });
  }
  const owner = data.owner && 'login' in data.owner ? data.owner.login : undefined;
  return {
    id: data.id,
    slug: data.slug ?? String(data.id),
    name: data.name,
    htmlUrl: data.html_url,
    owner,
    clientId: data.client_id,
    clientSecret: data.client_secret,
    webhookSecret: data.webhook_secret,
    pem: data.pem,
  };
}

/**
 * Signs an App JWT with the private key and asks `GET /app`: proves the key
 * and id belong together on this GitHub. Answers the App's slug.
 */
export async function checkAppCredentials(appId: number, pem: string, baseUrl: string, now: () => number = Date.now): Promise<{ slug: string; installations: number }> {
  const iat = Math.floor(now() / 1000) - 30;
  const token = jwt.sign({ iat, exp: iat + 540, iss: String(appId) }, pem, { algorithm: 'RS256' });
  const octokit = new Octokit({ auth: token, baseUrl, log: quietLog, request: { retries: 0 } });
  try {
    const { data } = await octokit.rest.apps.getAuthenticated();
    return { slug: data?.slug ?? String(appId), installations: data?.installations_count ?? 0 };
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status === 401 || status === 403) throw new AuthError(`GitHub refused a JWT signed with the App's private key (${status})`, { cause: error });
    throw new ExternalServiceError(status ? `GitHub answered ${status} to GET /app` : `GitHub could not be reached at ${baseUrl}`, { service: 'github', retryable: true, ...(status ? { status } : {}), cause: error });
  }
}
