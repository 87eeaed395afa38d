import { z } from 'zod';
import { ExternalServiceError } from '../errors/index.js';

/** What a GitHub Actions job needs to ask for an OIDC id token (`permissions: id-token: write`). */
export interface GitHubIdTokenSource {
  requestUrl: string;
  requestToken: string;
}

/** The id-token endpoint of the job, when the runner runs inside GitHub Actions with `id-token: write`. */
export function githubIdTokenSourceOf(env: Record<string, string | undefined>): GitHubIdTokenSource | undefined {
  const requestUrl = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  return env.GITHUB_ACTIONS === 'true' && requestUrl && requestToken ? { requestUrl, requestToken } : undefined;
}

const answerSchema = z.object({ value: z.string().min(1) });

/**
 * Asks GitHub for an id token with `audience` (the URL already carries a
 * query string; the audience is added to it). The token is short-lived
 * (minutes): ask again for each exchange rather than keeping one.
 */
export async function requestGitHubIdToken(source: GitHubIdTokenSource, audience: string, fetcher: typeof fetch = globalThis.fetch): Promise<string> {
  const url = new URL(source.requestUrl);
  url.searchParams.set('audience', audience);
  let response: Response;
  try {
    response = await fetcher(url.href, { headers: { authorization: `Bearer ${source.requestToken}`, accept: 'application/json' }, signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    throw new ExternalServiceError(`GitHub OIDC id token request failed: ${(error as Error).message}`, { service: 'github-oidc', retryable: true, cause: error });
  }
  const text = await response.text().catch(() => '');
  if (!response.ok) {
    throw new ExternalServiceError(`GitHub OIDC id token request answered HTTP ${response.status} ${text.slice(0, 200)}`, { service: 'github-oidc', retryable: response.status >= 500, status: response.status });
  }
  const parsed = answerSchema.safeParse(parseJson(text));
  if (!parsed.success) throw new ExternalServiceError('GitHub OIDC id token request: the answer has no token', { service: 'github-oidc', retryable: false, status: response.status });
  return parsed.data.value;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
