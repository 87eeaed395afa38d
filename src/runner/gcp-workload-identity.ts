import { z } from 'zod';
import { ExternalServiceError } from '../errors/index.js';

export const GCP_DEFAULT_ENDPOINTS = {
  sts: 'https://sts.googleapis.com/v1/token',
  iamCredentials: 'https://iamcredentials.googleapis.com',
} as const;

export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';

export interface GcpEndpoints {
  /** Google STS's token endpoint. */
  sts: string;
  /** IAM Credentials' base URL; `/v1/projects/-/serviceAccounts/<email>:generateAccessToken` is appended. */
  iamCredentials: string;
}

export interface GcpAccessToken {
  token: string;
  /** ISO time it expires. */
  expiresAt: string;
}

/**
 * The audience the GitHub id token is requested with: the provider's full
 * name with the HTTPS prefix, which a provider with no allowed audiences
 * configured accepts (as google-github-actions/auth asks for it).
 */
export function oidcAudienceFor(provider: string): string {
  return `https://iam.googleapis.com/${provider}`;
}

/** The STS `audience` parameter: the provider's canonical resource name. */
export function stsAudienceFor(provider: string): string {
  return `//iam.googleapis.com/${provider}`;
}

export function impersonationUrlFor(endpoints: GcpEndpoints, serviceAccount: string): string {
  return `${endpoints.iamCredentials.replace(/\/+$/, '')}/v1/projects/-/serviceAccounts/${encodeURIComponent(serviceAccount)}:generateAccessToken`;
}

async function postFor(service: string, url: string, init: RequestInit, fetcher: typeof fetch, what: string): Promise<{ status: number; body: unknown }> {
  let response: Response;
  try {
    response = await fetcher(url, { ...init, method: 'POST', signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    throw new ExternalServiceError(`${what} at ${url} did not answer: ${(error as Error).message}`, { service, retryable: true, cause: error });
  }
  const text = await response.text().catch(() => '');
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    // STS answers RFC 6749 errors ({error, error_description}); IAM Credentials Google's envelope ({error: {message, status}}).
    const oauth = z.object({ error: z.string(), error_description: z.string().optional() }).safeParse(body);
    const google = z.object({ error: z.object({ message: z.string(), status: z.string().optional() }) }).safeParse(body);
    const reason = oauth.success
      ? `${oauth.data.error}: ${oauth.data.error_description ?? ''}`.trim()
      : google.success
        ? `${google.data.error.status ?? `HTTP ${response.status}`}: ${google.data.error.message}`
        : `HTTP ${response.status} ${text.slice(0, 200)}`;
    throw new ExternalServiceError(`${what} was refused: ${reason}`, { service, retryable: response.status >= 500, status: response.status });
  }
  return { status: response.status, body };
}

const stsAnswerSchema = z.object({ access_token: z.string().min(1), expires_in: z.number().positive().optional() });

/** RFC 8693 token exchange at Google STS: the GitHub id token for a federated access token. */
export async function exchangeForFederatedToken(
  request: { provider: string; subjectToken: string; endpoints: GcpEndpoints; now: Date },
  fetcher: typeof fetch = globalThis.fetch,
): Promise<GcpAccessToken> {
  const form = new URLSearchParams({
    grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
    audience: stsAudienceFor(request.provider),
    scope: CLOUD_PLATFORM_SCOPE,
    requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    subject_token_type: JWT_TOKEN_TYPE,
    subject_token: request.subjectToken,
  });
  const { status, body } = await postFor(
    'google-sts',
    request.endpoints.sts,
    { headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: form.toString() },
    fetcher,
    `Google STS token exchange for ${request.provider}`,
  );
  const parsed = stsAnswerSchema.safeParse(body);
  if (!parsed.success) throw new ExternalServiceError('Google STS answered without an access token', { service: 'google-sts', retryable: false, status });
  return { token: parsed.data.access_token, expiresAt: new Date(request.now.getTime() + (parsed.data.expires_in ?? 3600) * 1000).toISOString() };
}

const iamAnswerSchema = z.object({ accessToken: z.string().min(1), expireTime: z.string() });

/** IAM Credentials `generateAccessToken`: the federated identity's token for one of the service account's. */
export async function impersonateServiceAccount(
  request: { serviceAccount: string; federatedToken: string; endpoints: GcpEndpoints },
  fetcher: typeof fetch = globalThis.fetch,
): Promise<GcpAccessToken> {
  const { status, body } = await postFor(
    'google-iam-credentials',
    impersonationUrlFor(request.endpoints, request.serviceAccount),
    {
      headers: { authorization: `Bearer ${request.federatedToken}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ scope: [CLOUD_PLATFORM_SCOPE], lifetime: '3600s' }),
    },
    fetcher,
    `Impersonating ${request.serviceAccount}`,
  );
  const parsed = iamAnswerSchema.safeParse(body);
  if (!parsed.success || Number.isNaN(Date.parse(parsed.data.expireTime))) {
    throw new ExternalServiceError('IAM Credentials answered without an access token', { service: 'google-iam-credentials', retryable: false, status });
  }
  return { token: parsed.data.accessToken, expiresAt: new Date(parsed.data.expireTime).toISOString() };
}

/**
 * An `external_account` credential configuration (Application Default
 * Credentials for workload identity federation): the Google auth libraries
 * in the agent CLIs read the GitHub id token from `tokenFile`, exchange it at
 * `token_url` and, with a service account, impersonate it. No secret is in
 * the configuration itself; the token file is kept fresh by the runner.
 */
export function externalAccountConfig(options: { provider: string; serviceAccount?: string; tokenFile: string; endpoints: GcpEndpoints }): Record<string, unknown> {
  return {
    type: 'external_account',
    audience: stsAudienceFor(options.provider),
    subject_token_type: JWT_TOKEN_TYPE,
    token_url: options.endpoints.sts,
    ...(options.serviceAccount ? { service_account_impersonation_url: impersonationUrlFor(options.endpoints, options.serviceAccount) } : {}),
    credential_source: { file: options.tokenFile, format: { type: 'text' } },
  };
}
