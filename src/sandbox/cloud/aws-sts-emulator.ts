import { randomBytes, randomUUID } from 'node:crypto';
import { EmulatorServer, type EmulatorRequest, type EmulatorResponse } from '../emulator-server.js';
import { matchesLike, verifyOidcToken, type TrustedIssuer } from './verify-oidc-token.js';

/** One IAM role with a web identity trust policy, in the emulator's terms. */
export interface EmulatedRole {
  arn: string;
  /**
   * The trust policy's `StringLike` condition on `<issuer>:sub`, e.g.
   * `repo:acme/widgets:*`; a token whose subject matches none is refused.
   */
  subjects: readonly string[];
  /** The trust policy's `<issuer>:aud` condition (default `sts.amazonaws.com`, what GitHub's AWS action asks for). */
  audience?: string;
  /** The role's maximum session duration in seconds (default 3600, as IAM's). */
  maxSessionDuration?: number;
}

export interface AwsStsEmulatorOptions {
  /** The IAM OIDC provider of the account: which issuer's tokens are accepted at all. */
  trust: TrustedIssuer;
  roles: readonly EmulatedRole[];
  now?: () => Date;
}

/** Credentials the emulator issued, for tests that check what the agent was given. */
export interface IssuedAwsCredentials {
  roleArn: string;
  sessionName: string;
  subject: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: string;
}

const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** STS's error document: `ErrorResponse/Error/{Type,Code,Message}` and a request id. */
function stsError(status: number, code: string, message: string): EmulatorResponse {
  const type = status >= 500 ? 'Receiver' : 'Sender';
  const body = `<ErrorResponse xmlns="${NS}">\n  <Error>\n    <Type>${type}</Type>\n    <Code>${code}</Code>\n    <Message>${escapeXml(message)}</Message>\n  </Error>\n  <RequestId>${randomUUID()}</RequestId>\n</ErrorResponse>\n`;
  return { status, headers: { 'content-type': 'text/xml' }, body };
}

/**
 * A loopback stand-in for AWS STS's `AssumeRoleWithWebIdentity` (query API,
 * version 2011-06-15, unsigned): it checks the web identity token as IAM does
 * (the issuer's keys, expiry, the `aud` and `sub` conditions of the role's
 * trust policy) and answers the real XML, or STS's error document with
 * `InvalidIdentityToken`, `ExpiredTokenException`, `AccessDenied` or
 * `ValidationError`.
 */
export class AwsStsEmulator {
  readonly server: EmulatorServer;
  readonly issued: IssuedAwsCredentials[] = [];
  private readonly now: () => Date;

  constructor(private readonly options: AwsStsEmulatorOptions) {
    this.now = options.now ?? (() => new Date());
    this.server = new EmulatorServer('aws-sts', (req) => this.handle(req));
  }

  start(port = 0): Promise<string> {
    return this.server.start(port);
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  /** The endpoint to hand the runner (`AI_IMPLEMENT_AWS_STS_URL`). */
  get url(): string {
    return `${this.server.url}/`;
  }

  private async handle(req: EmulatorRequest): Promise<EmulatorResponse> {
    if (req.path !== '/' || (req.method !== 'POST' && req.method !== 'GET')) return stsError(404, 'UnknownOperationException', `No route ${req.method} ${req.path}`);
    const params: Record<string, string> = { ...Object.fromEntries(req.query), ...(req.body && typeof req.body === 'object' ? (req.body as Record<string, string>) : {}) };
    if (params.Action !== 'AssumeRoleWithWebIdentity') return stsError(400, 'InvalidAction', `Could not find operation ${params.Action ?? '(none)'} for version ${params.Version ?? '(none)'}`);
    if (params.Version !== '2011-06-15') return stsError(400, 'InvalidAction', `Could not find operation ${params.Action} for version ${params.Version ?? '(none)'}`);
    for (const name of ['RoleArn', 'RoleSessionName', 'WebIdentityToken']) {
      if (!params[name]) return stsError(400, 'MissingParameter', `The request must contain the parameter ${name}`);
    }
    const { RoleArn: roleArn, RoleSessionName: sessionName, WebIdentityToken: token } = params as Record<'RoleArn' | 'RoleSessionName' | 'WebIdentityToken', string>;
    if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) return stsError(400, 'ValidationError', `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint`);
    const duration = params.DurationSeconds === undefined ? 3600 : Number(params.DurationSeconds);
    if (!Number.isInteger(duration) || duration < 900 || duration > 43_200) return stsError(400, 'ValidationError', `1 validation error detected: Value '${params.DurationSeconds}' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200`);

    const role = this.options.roles.find((r) => r.arn === roleArn);
    const now = this.now();
    const verified = await verifyOidcToken(token, this.options.trust, [role?.audience ?? 'sts.amazonaws.com'], now);
    if (!verified.ok) return stsError(400, verified.problem === 'expired' ? 'ExpiredTokenException' : 'InvalidIdentityToken', verified.message);
    const subject = String(verified.claims.sub ?? '');
    // A role that does not exist and a trust policy that does not match look the same from outside, as on AWS.
    if (!role || !role.subjects.some((pattern) => matchesLike(subject, pattern))) return stsError(403, 'AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity');
    if (duration > (role.maxSessionDuration ?? 3600)) return stsError(400, 'ValidationError', 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');

    const accountId = roleArn.split(':')[4] ?? '';
    const roleName = roleArn.split('/').pop() ?? '';
    const credentials: IssuedAwsCredentials = {
      roleArn,
      sessionName,
      subject,
      accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: `IQoJb3JpZ2luX2Vj${randomBytes(48).toString('base64')}`,
      expiration: new Date(now.getTime() + duration * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
    this.issued.push(credentials);
    const body = [
      `<AssumeRoleWithWebIdentityResponse xmlns="${NS}">`,
      '  <AssumeRoleWithWebIdentityResult>',
      `    <SubjectFromWebIdentityToken>${escapeXml(subject)}</SubjectFromWebIdentityToken>`,
      `    <Audience>${escapeXml(String(verified.claims.aud))}</Audience>`,
      '    <AssumedRoleUser>',
      `      <Arn>arn:aws:sts::${accountId}:assumed-role/${escapeXml(roleName)}/${escapeXml(sessionName)}</Arn>`,
      `      <AssumedRoleId>AROA${randomBytes(8).toString('hex').toUpperCase()}:${escapeXml(sessionName)}</AssumedRoleId>`,
      '    </AssumedRoleUser>',
      '    <Credentials>',
      `      <SessionToken>${escapeXml(credentials.sessionToken)}</SessionToken>`,
      `      <SecretAccessKey>${escapeXml(credentials.secretAccessKey)}</SecretAccessKey>`,
      `      <Expiration>${credentials.expiration}</Expiration>`,
      `      <AccessKeyId>${credentials.accessKeyId}</AccessKeyId>`,
      '    </Credentials>',
      `    <Provider>${escapeXml(String(verified.claims.iss))}</Provider>`,
      '  </AssumeRoleWithWebIdentityResult>',
      '  <ResponseMetadata>',
      `    <RequestId>${randomUUID()}</RequestId>`,
      '  </ResponseMetadata>',
      '</AssumeRoleWithWebIdentityResponse>',
      '',
    ].join('\n');
    return { status: 200, headers: { 'content-type': 'text/xml' }, body };
  }
}
