import { Router, type Request } from 'express';
import { z } from 'zod';
import { ValidationError } from '../errors/index.js';
import { RUNNER_AUDIENCE, githubTokenRequestSchema, progressBodySchema, resultBodySchema, type RunnerAudience, type RunnerTokenClaims } from '../domain/runner-protocol.js';
import type { RunFinisher } from '../orchestrator/finish-run.js';
import type { JobSpecBuilder } from '../orchestrator/job-spec.js';
import type { OidcExchange } from '../orchestrator/oidc-exchange.js';
import type { ProgressRecorder } from '../orchestrator/record-progress.js';
import type { GitHubTokenRefresher } from '../orchestrator/refresh-github-token.js';
import type { RunSecretsHandout } from '../orchestrator/hand-out-secrets.js';
import { RunnerRefusal, assertSameRun, type RunnerRefusalReason, type RunnerTokens, type TokenFailureReason } from '../orchestrator/runner-tokens.js';
import { HttpError } from './http-error.js';

export interface RunnerRoutesDeps {
  /** Unset when `RUNNER_TOKEN_SECRET` is unset: every runner route answers 501. */
  tokens: RunnerTokens | undefined;
  progress: ProgressRecorder;
  finisher: RunFinisher;
  jobSpecs: JobSpecBuilder;
  /** Unset when GitHub Actions OIDC is not configured: the OIDC exchange at `/runner/token` answers 501. */
  oidc?: OidcExchange;
  /** Unset without GitHub App credentials: a GitHub token request at `/runner/token` answers 501. */
  githubTokens?: GitHubTokenRefresher;
  /** The secrets broker's door for GitHub Actions jobs (`GET /runner/secrets`). */
  runSecrets?: RunSecretsHandout;
}

/**
 * Status codes are part of the contract (DESIGN.md, HTTP surface). A body
 * whose runId/attempt differ from the token's is 401 `token_run_mismatch`:
 * the token does not authorize what the body claims, whatever its shape.
 */
const TOKEN_FAILURES: Record<TokenFailureReason, string> = {
  missing: 'missing_token',
  malformed: 'invalid_token',
  'bad-algorithm': 'invalid_token',
  'unknown-key': 'invalid_token',
  'bad-signature': 'invalid_token',
  'bad-claims': 'invalid_token',
  expired: 'token_expired',
  'not-yet-valid': 'token_not_yet_valid',
  'wrong-audience': 'wrong_audience',
};

const REFUSALS: Record<RunnerRefusalReason, { status: number; code: string }> = {
  'token-mismatch': { status: 401, code: 'token_run_mismatch' },
  'identity-rejected': { status: 401, code: 'oidc_rejected' },
  'run-not-found': { status: 404, code: 'run_not_found' },
  replayed: { status: 409, code: 'token_replayed' },
  'stale-attempt': { status: 409, code: 'stale_attempt' },
  'run-finished': { status: 409, code: 'run_finished' },
  'not-dispatched': { status: 409, code: 'run_not_dispatched' },
  'mapping-missing': { status: 409, code: 'mapping_missing' },
  'ticket-missing': { status: 409, code: 'ticket_missing' },
  'rate-limited': { status: 429, code: 'rate_limited' },
  'tracker-unavailable': { status: 503, code: 'tracker_unavailable' },
  'issuer-unavailable': { status: 503, code: 'oidc_issuer_unavailable' },
  'github-unavailable': { status: 503, code: 'github_unavailable' },
  'secrets-elsewhere': { status: 409, code: 'secrets_delivered_at_start' },
  'secrets-unavailable': { status: 503, code: 'secrets_unavailable' },
};

const tokenRequestSchema = z.object({ runId: z.string().min(1).max(200) });

/** A body naming a `kind` asks for a GitHub token (and a wrong kind gets its 400); the OIDC exchange's body has none. */
function asksForGitHubToken(body: unknown): boolean {
  return typeof body === 'object' && body !== null && 'kind' in body;
}

function bearerOf(req: Request): string | undefined {
  const header = req.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

function toHttpError(error: unknown): unknown {
  // A body that parsed but does not fit the run (a PR of another repository) is as bad as one that did not parse.
  if (error instanceof ValidationError) return new HttpError(400, 'invalid_body', error.message, {}, error.field ? { field: error.field } : {});
  if (!(error instanceof RunnerRefusal)) return error;
  const { status, code } = REFUSALS[error.reason];
  const headers: Record<string, string> = error.retryAfterSeconds !== undefined ? { 'Retry-After': String(error.retryAfterSeconds) } : {};
  if (status === 401) headers['WWW-Authenticate'] = 'Bearer';
  return new HttpError(status, code, error.message, headers);
}

/** Parses with zod and answers 400 naming the first bad field. */
function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join('.') : '(body)';
  throw new HttpError(400, 'invalid_body', `Invalid request body: ${field}: ${issue?.message ?? 'invalid'}`, {}, { field });
}

/**
 * The runner callback routes: verify → parse → call a service → JSON.
 * `/runner/token` carries two operations told apart by the body: the OIDC
 * exchange (`{ runId }`, an Actions id token) and a fresh GitHub token for a
 * working run (`{ runId, attempt, kind: 'github' }`, the run's progress token).
 */
export function createRunnerRoutes(deps: RunnerRoutesDeps): Router {
  const router = Router();

  function requireTokens(): RunnerTokens {
    if (!deps.tokens) throw new HttpError(501, 'runner_tokens_disabled', 'Runner callbacks are disabled: RUNNER_TOKEN_SECRET is not set');
    return deps.tokens;
  }

  function verify(req: Request, audience: RunnerAudience): RunnerTokenClaims {
    const result = requireTokens().verify(bearerOf(req), audience);
    if (result.ok) return result.claims;
    throw new HttpError(401, TOKEN_FAILURES[result.reason], result.message, { 'WWW-Authenticate': 'Bearer' });
  }

  router.post('/runner/result', async (req, res) => {
    const claims = verify(req, RUNNER_AUDIENCE.result);
    const body = parseBody(resultBodySchema, req.body);
    try {
      assertSameRun(claims, body);
      res.json(await deps.finisher.finish(claims, body));
    } catch (error) {
      throw toHttpError(error);
    }
  });

  router.post('/runner/progress', async (req, res) => {
    const claims = verify(req, RUNNER_AUDIENCE.progress);
    try {
      // Counted before the body is looked at, so a flood of junk is throttled too.
      deps.progress.admit(claims.sub);
      const body = parseBody(progressBodySchema, req.body);
      assertSameRun(claims, body);
      res.json(await deps.progress.record(claims, body));
    } catch (error) {
      throw toHttpError(error);
    }
  });

  router.get('/runner/job', async (req, res) => {
    const claims = verify(req, RUNNER_AUDIENCE.progress);
    try {
      res.json(await deps.jobSpecs.build(claims));
    } catch (error) {
      throw toHttpError(error);
    }
  });

  router.get('/runner/secrets', async (req, res) => {
    const claims = verify(req, RUNNER_AUDIENCE.progress);
    if (!deps.runSecrets) throw new HttpError(501, 'secrets_disabled', 'The secrets broker is not wired in this server');
    try {
      const answer = await deps.runSecrets.handOut(claims);
      // Credentials: no proxy or client cache keeps them.
      res.set('Cache-Control', 'no-store').json(answer);
    } catch (error) {
      throw toHttpError(error);
    }
  });

  router.post('/runner/token', async (req, res) => {
    requireTokens();
    if (asksForGitHubToken(req.body)) {
      if (!deps.githubTokens) throw new HttpError(501, 'github_tokens_disabled', 'GitHub App credentials are not configured: there is no installation token to hand out');
      const claims = verify(req, RUNNER_AUDIENCE.progress);
      const body = parseBody(githubTokenRequestSchema, req.body);
      try {
        assertSameRun(claims, body);
        const grant = await deps.githubTokens.refresh(claims);
        // A credential: no proxy or client cache keeps it.
        res.set('Cache-Control', 'no-store').json(grant);
      } catch (error) {
        throw toHttpError(error);
      }
      return;
    }
    if (!deps.oidc) throw new HttpError(501, 'oidc_disabled', 'GitHub Actions OIDC exchange is not configured');
    const idToken = bearerOf(req);
    if (!idToken) throw new HttpError(401, 'missing_token', 'An OIDC id token is required as the bearer token', { 'WWW-Authenticate': 'Bearer' });
    const body = parseBody(tokenRequestSchema, req.body);
    try {
      res.json(await deps.oidc.exchange(idToken, body.runId));
    } catch (error) {
      throw toHttpError(error);
    }
  });

  return router;
}
