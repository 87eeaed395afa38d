import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { z } from 'zod';
import type { RunnerTokenExchange } from '../domain/runner-protocol.js';
import type { Clock, Store } from '../store/store.js';
import { isTerminal } from '../domain/run-status.js';
import { audienceIncludes, signatureMismatch } from './jwt-checks.js';
import { RunnerRefusal, type RunnerTokens } from './runner-tokens.js';

export interface OidcExchangeOptions {
  store: Store;
  tokens: RunnerTokens;
  clock: Clock;
  /** `config.github.actionsOidcIssuer` (github.com, GHE.com or Enterprise Server's issuer), or the GitHub emulator's URL in sandbox and tests. */
  issuer: string;
  /** The audience a runner must ask for: the orchestrator's public URL. */
  audience: string;
  fetch?: typeof fetch;
  /** How long fetched keys are trusted before a refetch (default 1 h). */
  jwksTtlMs?: number;
}

export interface OidcExchange {
  exchange(idToken: string | undefined, runId: string): Promise<RunnerTokenExchange>;
}

const configSchema = z.object({ issuer: z.string(), jwks_uri: z.url() });
const jwksSchema = z.object({
  keys: z.array(z.looseObject({ kid: z.string().optional(), kty: z.string(), alg: z.string().optional(), use: z.string().optional() })),
});
const githubClaimsSchema = z.object({
  repository: z.string(),
  run_id: z.union([z.string(), z.number()]).transform(String),
});

/** A refetch for an unknown kid at most this often, so junk tokens cannot make us hammer the issuer. */
const UNKNOWN_KID_REFETCH_MS = 60_000;

function rejected(message: string): RunnerRefusal {
  return new RunnerRefusal('identity-rejected', message);
}

/**
 * Trades a GitHub Actions OIDC id token for the run's callback tokens, so a
 * workflow never receives them as inputs. The id token must be signed by the
 * issuer's published key, be meant for us, and come from the run's own
 * repository and workflow run.
 */
export function createOidcExchange(options: OidcExchangeOptions): OidcExchange {
  const { store, tokens, clock } = options;
  const doFetch = options.fetch ?? fetch;
  const issuer = options.issuer.replace(/\/+$/, '');
  const ttlMs = options.jwksTtlMs ?? 60 * 60 * 1000;
  let keys = new Map<string, KeyObject>();
  let fetchedAt = -Infinity;
  let inflight: Promise<void> | undefined;

  async function getJson(url: string): Promise<unknown> {
    let res: Response;
    try {
      res = await doFetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(10_000) });
    } catch (error) {
      throw new RunnerRefusal('issuer-unavailable', `The OIDC issuer could not be reached: ${(error as Error).message}`, 30);
    }
    if (!res.ok) throw new RunnerRefusal('issuer-unavailable', `The OIDC issuer answered ${res.status} for ${url}`, 30);
    return res.json();
  }

  async function refreshKeys(): Promise<void> {
    const config = configSchema.safeParse(await getJson(`${issuer}/.well-known/openid-configuration`));
    if (!config.success) throw new RunnerRefusal('issuer-unavailable', 'The OIDC discovery document has no jwks_uri', 30);
    const jwks = jwksSchema.safeParse(await getJson(config.data.jwks_uri));
    if (!jwks.success) throw new RunnerRefusal('issuer-unavailable', 'The OIDC issuer published no usable key set', 30);
    const next = new Map<string, KeyObject>();
    for (const jwk of jwks.data.keys) {
      if (!jwk.kid || jwk.kty !== 'RSA' || (jwk.use && jwk.use !== 'sig')) continue;
      try {
        next.set(jwk.kid, createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }));
      } catch {
        // One malformed key in the set must not take the others down; it simply cannot verify anything.
        continue;
      }
    }
    keys = next;
    fetchedAt = clock();
  }

  async function keyFor(kid: string): Promise<KeyObject | undefined> {
    const age = clock() - fetchedAt;
    const stale = age > ttlMs;
    const unknownButRefetchable = !keys.has(kid) && age > UNKNOWN_KID_REFETCH_MS;
    if (stale || unknownButRefetchable) {
      // Concurrent exchanges share one refresh.
      inflight ??= refreshKeys().finally(() => {
        inflight = undefined;
      });
      await inflight;
    }
    return keys.get(kid);
  }

  async function verifyIdToken(idToken: string | undefined): Promise<jwt.JwtPayload> {
    if (!idToken) throw rejected('An OIDC id token is required as the bearer token');
    const decoded = jwt.decode(idToken, { complete: true });
    if (!decoded || typeof decoded.payload === 'string') throw rejected('The bearer token is not a JWT');
    if (decoded.header.alg !== 'RS256') throw rejected(`OIDC id tokens are RS256; got ${decoded.header.alg}`);
    if (!decoded.header.kid) throw rejected('The id token has no kid');
    const key = await keyFor(decoded.header.kid);
    if (!key) throw rejected('The id token was signed by a key the issuer does not publish');
    if (typeof decoded.payload.exp !== 'number') throw rejected('The id token has no exp claim');
    // Named before jsonwebtoken runs (it checks the signature first too), whose errors differ only in their text.
    if (signatureMismatch(idToken, 'RS256', key)) throw rejected('The id token signature does not match the issuer key');
    let payload: string | jwt.JwtPayload;
    try {
      // No `audience`/`issuer` options: jsonwebtoken would report those only in its message text; they are checked below.
      payload = jwt.verify(idToken, key, { algorithms: ['RS256'], clockTimestamp: Math.floor(clock() / 1000) });
    } catch (error) {
      if (error instanceof jwt.TokenExpiredError) throw rejected('The id token has expired');
      if (error instanceof jwt.NotBeforeError) throw rejected('The id token is not valid yet');
      if (error instanceof jwt.JsonWebTokenError) throw rejected(`The id token could not be verified: ${error.message}`);
      throw error;
    }
    if (typeof payload === 'string') throw rejected('The id token payload is not an object');
    // In jsonwebtoken's order: audience, then issuer.
    if (!audienceIncludes(payload.aud, options.audience)) throw rejected(`The id token audience must be ${options.audience}`);
    if (payload.iss !== issuer) throw rejected(`The id token issuer must be ${issuer}`);
    return payload;
  }

  return {
    async exchange(idToken, runId) {
      const payload = await verifyIdToken(idToken);
      const github = githubClaimsSchema.safeParse(payload);
      if (!github.success) throw rejected('The id token has no repository or run_id claim (is it from GitHub Actions?)');
      const run = await store.runs.getRun(runId);
      if (!run) throw rejected(`Run ${runId} does not exist`);
      const mapping = await store.mappings.get(run.mappingKey);
      if (!mapping) throw new RunnerRefusal('mapping-missing', `The project ${run.mappingKey} of run ${run.id} no longer exists`);
      // GitHub treats owner and repository names case-insensitively.
      const expectedRepo = `${mapping.owner}/${mapping.repo}`.toLowerCase();
      if (github.data.repository.toLowerCase() !== expectedRepo) {
        throw rejected(`The id token is from ${github.data.repository}, but run ${run.id} belongs to ${mapping.owner}/${mapping.repo}`);
      }
      if (!run.upstreamId) {
        // The dispatcher records the workflow run id just after dispatching; a fast runner can get here first.
        throw new RunnerRefusal('not-dispatched', `Run ${run.id} has no workflow run recorded yet; retry shortly`, 5);
      }
      if (github.data.run_id !== run.upstreamId) {
        throw rejected(`The id token is from workflow run ${github.data.run_id}, but run ${run.id} was dispatched as ${run.upstreamId}`);
      }
      if (isTerminal(run.status)) throw new RunnerRefusal('run-finished', `Run ${run.id} already finished (${run.status})`);
      // Always the current attempt: a re-dispatch's workflow must not get tokens for an older one.
      const deadlineAt = run.deadlineAt ?? new Date(clock() + mapping.maxJobMinutes * 60_000).toISOString();
      const pair = tokens.mint(run.id, run.attempt, deadlineAt);
      return { runId: run.id, attempt: run.attempt, ...pair };
    },
  };
}
