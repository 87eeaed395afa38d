import { z } from 'zod';
import { ConfigError } from '../errors/index.js';
import { RUNNER_ENV } from '../domain/runner-protocol.js';
import { OrchestratorHttpError } from './orchestrator-client.js';
import { retryWithBackoff, realSleep, type RetryPolicy, type Sleep } from './retry-with-backoff.js';

export interface RunnerCredentials {
  url: string;
  runId: string;
  progressToken: string;
  resultToken: string;
  /** How the tokens were obtained, for the log. */
  source: 'env' | 'github-oidc';
}

export interface ResolveCredentialsOptions {
  env: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
  /** `--url` / `--run-id` on the command line win over the environment. */
  url?: string;
  runId?: string;
  retry?: RetryPolicy;
  sleep?: Sleep;
}

const exchangeSchema = z.object({
  runId: z.string().min(1),
  attempt: z.number().int().positive(),
  progressToken: z.string().min(1),
  resultToken: z.string().min(1),
  expiresAt: z.string(),
});

const idTokenSchema = z.object({ value: z.string().min(1) });

async function getJson(fetcher: typeof fetch, url: string, init: RequestInit, what: string): Promise<unknown> {
  let response: Response;
  try {
    response = await fetcher(url, { ...init, signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    throw new OrchestratorHttpError(`${what}: ${(error as Error).message}`, undefined);
  }
  const text = await response.text().catch(() => '');
  if (!response.ok) throw new OrchestratorHttpError(`${what}: HTTP ${response.status} ${text.slice(0, 300)}`, response.status);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new OrchestratorHttpError(`${what}: answer is not JSON`, response.status);
  }
}

/**
 * Tokens come from the environment on Fly and local runners. In GitHub
 * Actions nothing secret is passed in: the job asks GitHub for an OIDC id
 * token whose audience is the orchestrator and trades it at POST /runner/token.
 */
export async function resolveRunnerCredentials(options: ResolveCredentialsOptions): Promise<RunnerCredentials> {
  const { env } = options;
  const fetcher = options.fetch ?? globalThis.fetch;
  const url = (options.url ?? env[RUNNER_ENV.url] ?? '').replace(/\/+$/, '');
  const runId = options.runId ?? env[RUNNER_ENV.runId] ?? '';
  if (!url) throw new ConfigError('no orchestrator URL', [`${RUNNER_ENV.url}: set it (or pass --url) to the orchestrator's base URL`]);
  const progressToken = env[RUNNER_ENV.progressToken];
  const resultToken = env[RUNNER_ENV.resultToken];
  if (progressToken && resultToken) {
    if (!runId) throw new ConfigError('no run id', [`${RUNNER_ENV.runId}: set it (or pass --run-id)`]);
    return { url, runId, progressToken, resultToken, source: 'env' };
  }
  const requestUrl = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (env.GITHUB_ACTIONS !== 'true' || !requestUrl || !requestToken) {
    throw new ConfigError('no runner tokens', [
      `${RUNNER_ENV.progressToken} and ${RUNNER_ENV.resultToken}: set both (Fly and local runners)`,
      'or run inside GitHub Actions with `permissions: id-token: write` so ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN are present',
    ]);
  }
  if (!runId) throw new ConfigError('no run id', [`${RUNNER_ENV.runId}: pass the workflow's run_id input through env`]);
  const retryable = (error: unknown): boolean => error instanceof OrchestratorHttpError && error.retryable;
  const sleep = options.sleep ?? realSleep;
  const oidcUrl = new URL(requestUrl);
  oidcUrl.searchParams.set('audience', url);
  const idToken = idTokenSchema.parse(
    await retryWithBackoff(
      () => getJson(fetcher, oidcUrl.href, { headers: { authorization: `Bearer ${requestToken}`, accept: 'application/json' } }, 'OIDC id token request'),
      retryable,
      options.retry,
      sleep,
    ),
  ).value;
  const answer = exchangeSchema.parse(
    await retryWithBackoff(
      () =>
        getJson(
          fetcher,
          `${url}/runner/token`,
          { method: 'POST', headers: { authorization: `Bearer ${idToken}`, 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ runId }) },
          'runner token exchange',
        ),
      retryable,
      options.retry,
      sleep,
    ),
  );
  return { url, runId: answer.runId, progressToken: answer.progressToken, resultToken: answer.resultToken, source: 'github-oidc' };
}
