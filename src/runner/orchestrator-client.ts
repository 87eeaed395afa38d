import { z } from 'zod';
import { githubTokenGrantSchema, jobSpecSchema, runnerSecretsSchema, type GitHubTokenGrant, type GitHubTokenRequest, type JobSpec, type ProgressBody, type ResultBody } from '../domain/runner-protocol.js';
import { DEFAULT_RETRY, realSleep, retryWithBackoff, type RetryPolicy, type Sleep } from './retry-with-backoff.js';
import type { RunnerLog } from './runner-log.js';

/** A non-2xx answer from the orchestrator (or a network failure, `status` undefined). */
export class OrchestratorHttpError extends Error {
  override readonly name = 'OrchestratorHttpError';
  constructor(
    message: string,
    readonly status: number | undefined,
  ) {
    super(message);
  }
  /** Network errors and 5xx may succeed later; a 4xx will not, and a blind retry of a spent token only adds noise. */
  get retryable(): boolean {
    return this.status === undefined || this.status >= 500;
  }
}

export interface OrchestratorClientOptions {
  baseUrl: string;
  progressToken: string;
  resultToken: string;
  log: RunnerLog;
  fetch?: typeof fetch;
  retry?: RetryPolicy;
  sleep?: Sleep;
  requestTimeoutMs?: number;
}

const isRetryable = (error: unknown): boolean => error instanceof OrchestratorHttpError && error.retryable;

/** Sends the runner's side of the wire protocol in src/domain/runner-protocol.ts. */
export class OrchestratorClient {
  private readonly fetch: typeof fetch;
  private readonly retry: RetryPolicy;
  private readonly sleep: Sleep;

  constructor(private readonly options: OrchestratorClientOptions) {
    this.fetch = options.fetch ?? globalThis.fetch;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.sleep = options.sleep ?? realSleep;
  }

  async getJob(): Promise<JobSpec> {
    const json = await retryWithBackoff(() => this.request('GET', '/runner/job', this.options.progressToken), isRetryable, this.retry, this.sleep, this.onRetry('job'));
    const parsed = jobSpecSchema.safeParse(json);
    if (!parsed.success) throw new OrchestratorHttpError(`job spec does not match the protocol: ${z.prettifyError(parsed.error)}`, 200);
    return parsed.data;
  }

  /** Progress is best-effort: a lost report must not fail a run that is otherwise going well. */
  async postProgress(body: ProgressBody): Promise<boolean> {
    const quick: RetryPolicy = { ...this.retry, attempts: Math.min(3, this.retry.attempts) };
    try {
      await retryWithBackoff(() => this.request('POST', '/runner/progress', this.options.progressToken, body), isRetryable, quick, this.sleep);
      return true;
    } catch (error) {
      this.options.log.warn('progress report not delivered', { reason: (error as Error).message });
      return false;
    }
  }

  /**
   * One request for a fresh GitHub installation token; the caller
   * (github-token-source.ts) decides how to retry, since it knows how long
   * the current token still lasts.
   */
  /** The run's secrets from the broker (GitHub Actions): a setup call, retried like the job fetch. */
  async getSecrets(): Promise<Record<string, string>> {
    const json = await retryWithBackoff(() => this.request('GET', '/runner/secrets', this.options.progressToken), isRetryable, this.retry, this.sleep, this.onRetry('secrets'));
    const parsed = runnerSecretsSchema.safeParse(json);
    if (!parsed.success) throw new OrchestratorHttpError('secrets answer does not match the protocol', 200);
    return parsed.data.env;
  }

  async refreshGitHubToken(run: { runId: string; attempt: number }): Promise<GitHubTokenGrant> {
    const body: GitHubTokenRequest = { runId: run.runId, attempt: run.attempt, kind: 'github' };
    const json = await this.request('POST', '/runner/token', this.options.progressToken, body);
    const parsed = githubTokenGrantSchema.safeParse(json);
    if (!parsed.success) throw new OrchestratorHttpError(`GitHub token answer does not match the protocol: ${z.prettifyError(parsed.error)}`, 200);
    return parsed.data;
  }

  /**
   * Posts the result with backoff on network errors and 5xx. The result token
   * is single-use, so a 409 after an ambiguous earlier attempt means that
   * attempt got through; the first attempt's 409 is a real conflict.
   */
  async postResult(body: ResultBody): Promise<void> {
    let ambiguous = false;
    await retryWithBackoff(
      async () => {
        try {
          await this.request('POST', '/runner/result', this.options.resultToken, body);
        } catch (error) {
          if (error instanceof OrchestratorHttpError && error.status === 409 && ambiguous) {
            this.options.log.warn('result already recorded by an earlier attempt');
            return;
          }
          if (isRetryable(error)) ambiguous = true;
          throw error;
        }
      },
      isRetryable,
      this.retry,
      this.sleep,
      this.onRetry('result'),
    );
  }

  private onRetry(what: string) {
    return (error: unknown, attempt: number, delayMs: number) =>
      this.options.log.warn(`${what} request failed, retrying`, { attempt, delayMs, reason: (error as Error).message });
  }

  private async request(method: 'GET' | 'POST', path: string, token: string, body?: unknown): Promise<unknown> {
    const url = new URL(path, this.options.baseUrl.endsWith('/') ? this.options.baseUrl : `${this.options.baseUrl}/`);
    let response: Response;
    try {
      response = await this.fetch(url, {
        method,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 30_000),
      });
    } catch (error) {
      throw new OrchestratorHttpError(`${method} ${path}: ${(error as Error).message}`, undefined);
    }
    const text = await response.text().catch(() => '');
    if (!response.ok) throw new OrchestratorHttpError(`${method} ${path}: HTTP ${response.status} ${text.slice(0, 300)}`, response.status);
    if (text === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
}
