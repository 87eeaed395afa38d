import { createHash, createPublicKey, generateKeyPairSync, randomBytes, randomUUID, type JsonWebKey } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { GitHubApiError, ok } from './github-http.js';
import type { RouteTable } from './github-route-table.js';

/** What one Actions job may ask the issuer for: the repository and workflow run it belongs to. */
export interface OidcJobGrant {
  /** `owner/repo`. */
  repository: string;
  runId: string | number;
  /** Branch the workflow runs on (default `main`). */
  ref?: string;
  actor?: string;
  workflow?: string;
  runAttempt?: number;
}

/** What a job's environment holds as `ACTIONS_ID_TOKEN_REQUEST_URL` / `ACTIONS_ID_TOKEN_REQUEST_TOKEN`. */
export interface OidcRequestCredentials {
  requestUrl: string;
  requestToken: string;
}

export interface MintIdTokenOptions {
  audience: string;
  /** Claims merged over the defaults (e.g. another `repository`, an `exp` in the past). */
  claims?: Record<string, unknown>;
  /** Sign with this key instead of the issuer's (an attacker's token). */
  privateKeyPem?: string;
  /** Header kid; the issuer's own kid when unset. */
  kid?: string;
}

/** GitHub's Actions id tokens are short-lived. */
const ID_TOKEN_TTL_S = 5 * 60;
const REQUEST_TOKEN_TTL_MS = 6 * 60 * 60 * 1000;

interface GrantRecord extends OidcJobGrant {
  expiresAt: number;
}

/**
 * The emulator's stand-in for `token.actions.githubusercontent.com`: a
 * discovery document, a JWKS with its own RSA key (not the App key), and the
 * token endpoint an Actions job calls with its request token.
 */
export class GitHubOidcIssuer {
  private keyPair: { privateKeyPem: string; publicJwk: JsonWebKey; kid: string } | undefined;
  private readonly grants = new Map<string, GrantRecord>();

  constructor(
    private readonly baseUrl: () => string,
    private readonly now: () => Date,
    /** '' (the issuer is the base URL), or `/_services/token` as GitHub Enterprise Server serves it. */
    readonly path = '',
  ) {}

  /** The `iss` of every id token: the emulator's base URL, plus the Enterprise Server path when set. */
  get issuer(): string {
    return `${this.baseUrl()}${this.path}`;
  }

  get kid(): string {
    return this.keys().kid;
  }

  /** Generated on first use so emulators that never do OIDC do not pay for an RSA key. */
  private keys(): { privateKeyPem: string; publicJwk: JsonWebKey; kid: string } {
    if (!this.keyPair) {
      const pair = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
      const publicJwk = createPublicKey(pair.publicKey).export({ format: 'jwk' });
      const kid = createHash('sha256').update(pair.publicKey).digest('hex').slice(0, 40).toUpperCase();
      this.keyPair = { privateKeyPem: pair.privateKey, publicJwk, kid };
    }
    return this.keyPair;
  }

  jwks(): { keys: JsonWebKey[] } {
    const { publicJwk, kid } = this.keys();
    return { keys: [{ ...publicJwk, kid, alg: 'RS256', use: 'sig' }] };
  }

  /** Credentials for a job of `repository`'s workflow run `runId`, as the runner would find them in its env. */
  createRequestToken(grant: OidcJobGrant): OidcRequestCredentials {
    const requestToken = randomBytes(24).toString('base64url');
    this.grants.set(requestToken, { ...grant, expiresAt: this.now().getTime() + REQUEST_TOKEN_TTL_MS });
    return { requestUrl: `${this.baseUrl()}/_oidc/token?api-version=2.0`, requestToken };
  }

  /** Mints an id token directly; negative tests override claims or sign with a foreign key. */
  mintIdToken(grant: OidcJobGrant, options: MintIdTokenOptions): string {
    const iat = Math.floor(this.now().getTime() / 1000);
    const [owner = ''] = grant.repository.split('/');
    const ref = `refs/heads/${grant.ref ?? 'main'}`;
    const claims: Record<string, unknown> = {
      jti: randomUUID(),
      sub: `repo:${grant.repository}:ref:${ref}`,
      aud: options.audience,
      ref,
      ref_type: 'branch',
      sha: createHash('sha1').update(`${grant.repository}:${grant.runId}`).digest('hex'),
      repository: grant.repository,
      repository_owner: owner,
      repository_visibility: 'private',
      run_id: String(grant.runId),
      run_number: '1',
      run_attempt: String(grant.runAttempt ?? 1),
      actor: grant.actor ?? 'ai-implement[bot]',
      workflow: grant.workflow ?? 'AI-Implement',
      event_name: 'workflow_dispatch',
      runner_environment: 'github-hosted',
      iss: this.issuer,
      nbf: iat - 5,
      iat,
      exp: iat + ID_TOKEN_TTL_S,
      ...options.claims,
    };
    const key = options.privateKeyPem ?? this.keys().privateKeyPem;
    return jwt.sign(claims, key, { algorithm: 'RS256', keyid: options.kid ?? this.keys().kid });
  }

  /** The token endpoint's logic: a known, unexpired request token → an id token for its job. */
  issueForRequest(authorization: string | string[] | undefined, audience: string | null): string {
    const header = Array.isArray(authorization) ? authorization[0] : authorization;
    const token = /^bearer\s+(\S+)$/i.exec(header?.trim() ?? '')?.[1];
    const grant = token ? this.grants.get(token) : undefined;
    if (!grant || grant.expiresAt <= this.now().getTime()) throw new GitHubApiError(401, 'Bad credentials');
    // GitHub's default audience is the URL of the repository owner.
    const owner = grant.repository.split('/')[0] ?? '';
    return this.mintIdToken(grant, { audience: audience || `https://github.com/${owner}` });
  }
}

export function registerOidcRoutes(table: RouteTable, issuer: GitHubOidcIssuer): void {
  table.on('GET', `${issuer.path}/.well-known/openid-configuration`, { auth: 'none' }, () =>
    ok(200, {
      issuer: issuer.issuer,
      jwks_uri: `${issuer.issuer}/.well-known/jwks`,
      subject_types_supported: ['public', 'pairwise'],
      response_types_supported: ['id_token'],
      claims_supported: ['sub', 'aud', 'exp', 'iat', 'iss', 'jti', 'nbf', 'ref', 'repository', 'repository_owner', 'run_id', 'run_attempt', 'actor', 'workflow', 'event_name'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid'],
    }),
  );

  table.on('GET', `${issuer.path}/.well-known/jwks`, { auth: 'none' }, () => ok(200, issuer.jwks()));

  table.on('GET', '/_oidc/token', { auth: 'none' }, (req) =>
    ok(200, { count: 1, value: issuer.issueForRequest(req.headers.authorization, req.query.get('audience')) }),
  );
}
