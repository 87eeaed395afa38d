import { randomBytes } from 'node:crypto';
import { EmulatorRouter, EmulatorServer, json, type EmulatorRequest, type EmulatorResponse } from '../emulator-server.js';
import { matchesLike, verifyOidcToken, type TrustedIssuer } from './verify-oidc-token.js';

/** One workload identity pool provider (OIDC), in the emulator's terms. */
export interface EmulatedWorkloadIdentityProvider {
  /** `projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>`. */
  name: string;
  trust: TrustedIssuer;
  /** Accepted `aud` values; empty means Google's default: the provider's full name, with `//` or `https://`. */
  allowedAudiences?: readonly string[];
  /** The attribute condition, as a `StringLike` on `sub` (e.g. `repo:acme/widgets:*`); none means every token of the issuer. */
  subjects?: readonly string[];
}

/** A service account and which federated subjects hold `roles/iam.workloadIdentityUser` on it. */
export interface EmulatedServiceAccount {
  email: string;
  subjects: readonly string[];
}

export interface GoogleStsEmulatorOptions {
  providers: readonly EmulatedWorkloadIdentityProvider[];
  serviceAccounts?: readonly EmulatedServiceAccount[];
  now?: () => Date;
}

interface FederatedToken {
  subject: string;
  provider: string;
  expiresAt: number;
}

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const SUBJECT_TOKEN_TYPES = ['urn:ietf:params:oauth:token-type:jwt', 'urn:ietf:params:oauth:token-type:id_token'];

/** RFC 6749 §5.2, as Google STS answers it. */
const oauthError = (status: number, error: string, description: string): EmulatorResponse => json(status, { error, error_description: description });
/** Google's JSON error envelope, as IAM Credentials answers it. */
const googleError = (code: number, status: string, message: string): EmulatorResponse => json(code, { error: { code, message, status } });

/**
 * Loopback stand-ins for Google's Security Token Service (`POST /v1/token`,
 * RFC 8693 token exchange of an external OIDC token for a federated access
 * token) and IAM Credentials (`POST /v1/projects/-/serviceAccounts/<email>:generateAccessToken`),
 * on one server. The exchange checks the token like a workload identity pool
 * provider: the issuer's keys, expiry, the allowed audiences, the attribute
 * condition; impersonation checks the federated subject may use the account.
 */
export class GoogleStsEmulator {
  readonly server: EmulatorServer;
  /** Access tokens handed out, federated and impersonated, for tests that check what reached the agent. */
  readonly issued: Array<{ kind: 'federated' | 'service-account'; token: string; subject: string; serviceAccount?: string }> = [];
  private readonly federated = new Map<string, FederatedToken>();
  private readonly router = new EmulatorRouter();
  private readonly now: () => Date;

  constructor(private readonly options: GoogleStsEmulatorOptions) {
    this.now = options.now ?? (() => new Date());
    this.router.on('POST', '/v1/token', (req) => this.exchange(req));
    this.router.on('POST', '/v1/projects/:project/serviceAccounts/:name', (req) => this.generateAccessToken(req));
    this.server = new EmulatorServer('google-sts', (req) => this.router.handle(req));
  }

  start(port = 0): Promise<string> {
    return this.server.start(port);
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  /** `AI_IMPLEMENT_GCP_STS_URL`: the token endpoint. */
  get tokenUrl(): string {
    return `${this.server.url}/v1/token`;
  }

  /** `AI_IMPLEMENT_GCP_IAM_CREDENTIALS_URL`: the IAM Credentials base (`/v1/projects/-/serviceAccounts/...` is appended). */
  get iamCredentialsUrl(): string {
    return this.server.url;
  }

  private async exchange(req: EmulatorRequest): Promise<EmulatorResponse> {
    const p = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
    const field = (snake: string, camel: string): string => String(p[snake] ?? p[camel] ?? '');
    if (field('grant_type', 'grantType') !== TOKEN_EXCHANGE_GRANT) return oauthError(400, 'unsupported_grant_type', `Unsupported grant type ${field('grant_type', 'grantType') || '(none)'}.`);
    if (field('requested_token_type', 'requestedTokenType') !== ACCESS_TOKEN_TYPE) return oauthError(400, 'invalid_request', 'Invalid value for "requested_token_type".');
    if (!SUBJECT_TOKEN_TYPES.includes(field('subject_token_type', 'subjectTokenType'))) return oauthError(400, 'invalid_request', 'Invalid value for "subject_token_type".');
    const subjectToken = field('subject_token', 'subjectToken');
    if (!subjectToken) return oauthError(400, 'invalid_request', 'Missing required parameter "subject_token".');
    const audience = field('audience', 'audience');
    const name = audience.replace(/^\/\/iam\.googleapis\.com\//, '');
    const provider = this.options.providers.find((candidate) => candidate.name === name);
    if (!audience.startsWith('//iam.googleapis.com/') || !provider) {
      return oauthError(400, 'invalid_target', 'The target service indicated by the "audience" parameters is invalid. This might either be because the pool or provider is disabled or deleted or because it doesn\'t exist.');
    }
    const allowed = provider.allowedAudiences?.length ? provider.allowedAudiences : [`//iam.googleapis.com/${provider.name}`, `https://iam.googleapis.com/${provider.name}`];
    const verified = await verifyOidcToken(subjectToken, provider.trust, allowed, this.now());
    if (!verified.ok) {
      const description =
        verified.problem === 'audience'
          ? `The audience in ID Token [${String(verified.claims?.aud)}] does not match the expected audience ${allowed.join(' or ')}.`
          : verified.problem === 'expired'
            ? `The ID Token has expired. ${verified.message}`
            : `Invalid ID Token: ${verified.message}`;
      return oauthError(400, 'invalid_grant', description);
    }
    const subject = String(verified.claims.sub ?? '');
    if (provider.subjects && !provider.subjects.some((pattern) => matchesLike(subject, pattern))) {
      return oauthError(400, 'unauthorized_client', 'The given credential is rejected by the attribute condition.');
    }
    const token = `ya29.d.federated-${randomBytes(24).toString('base64url')}`;
    const expiresIn = 3600;
    this.federated.set(token, { subject, provider: provider.name, expiresAt: this.now().getTime() + expiresIn * 1000 });
    this.issued.push({ kind: 'federated', token, subject });
    return json(200, { access_token: token, issued_token_type: ACCESS_TOKEN_TYPE, token_type: 'Bearer', expires_in: expiresIn });
  }

  private generateAccessToken(req: EmulatorRequest): EmulatorResponse {
    const [email = '', method] = (req.params.name ?? '').split(/:(?=[^:]*$)/);
    if (req.params.project !== '-' || method !== 'generateAccessToken') return googleError(404, 'NOT_FOUND', `No route ${req.path}`);
    const bearer = /^bearer\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
    const federated = bearer ? this.federated.get(bearer) : undefined;
    if (!federated || federated.expiresAt <= this.now().getTime()) {
      return googleError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.');
    }
    const body = (req.body && typeof req.body === 'object' ? req.body : {}) as { scope?: unknown; lifetime?: unknown };
    if (!Array.isArray(body.scope) || body.scope.length === 0) return googleError(400, 'INVALID_ARGUMENT', 'Scope required.');
    const lifetime = body.lifetime === undefined ? 3600 : Number(/^(\d+)s$/.exec(String(body.lifetime))?.[1] ?? NaN);
    if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > 3600) return googleError(400, 'INVALID_ARGUMENT', 'The lifetime must be a duration in seconds ("3600s") of at most 3600s.');
    const account = this.options.serviceAccounts?.find((sa) => sa.email === email);
    if (!account || !account.subjects.some((pattern) => matchesLike(federated.subject, pattern))) {
      return googleError(403, 'PERMISSION_DENIED', "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).");
    }
    const token = `ya29.c.sa-${randomBytes(24).toString('base64url')}`;
    this.issued.push({ kind: 'service-account', token, subject: federated.subject, serviceAccount: email });
    const expireTime = new Date(this.now().getTime() + lifetime * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    return json(200, { accessToken: token, expireTime });
  }
}
