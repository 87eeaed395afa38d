import { ExternalServiceError } from '../errors/index.js';

/** Temporary credentials of an assumed role. */
export interface AwsSessionCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** ISO time they stop working. */
  expiration: string;
}

export interface AssumeRoleRequest {
  roleArn: string;
  /** `[\w+=,.@-]{2,64}`; shows in CloudTrail as the session of the assumed role. */
  sessionName: string;
  webIdentityToken: string;
  durationSeconds: number;
  /** The STS endpoint, e.g. `https://sts.us-east-1.amazonaws.com/`. */
  endpoint: string;
}

/** The regional STS endpoint of a role's partition (`aws-cn` lives under `.amazonaws.com.cn`). */
export function stsEndpointFor(roleArn: string, region: string): string {
  const partition = roleArn.split(':')[1] ?? 'aws';
  return `https://sts.${region}.${partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com'}/`;
}

/** A session name STS accepts, from the run id: `ai-implement-<run id>`, cut to 64 characters. */
export function sessionNameFor(runId: string): string {
  return `ai-implement-${runId}`.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
}

/** STS said no; `code` is its error code (`AccessDenied`, `InvalidIdentityToken`, `ExpiredTokenException`, `ValidationError`). */
export class AwsStsRefusal extends ExternalServiceError {
  constructor(
    message: string,
    readonly code: string,
    status: number,
  ) {
    super(message, { service: 'aws-sts', retryable: status >= 500, status });
  }
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** The text of the first `<tag>` in an STS answer; the documents are small and flat enough for this. */
function xmlText(xml: string, tag: string): string | undefined {
  const match = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  return match?.[1]?.replace(/&(amp|lt|gt|quot|apos);/g, (_, name: string) => ENTITIES[name] ?? '');
}

/**
 * `AssumeRoleWithWebIdentity` over STS's query API (version 2011-06-15). The
 * call is not signed: the web identity token is the credential. STS answers
 * XML; an error is `ErrorResponse/Error/{Code,Message}`, turned here into an
 * ExternalServiceError that names the role and STS's code and message.
 */
export async function assumeRoleWithWebIdentity(request: AssumeRoleRequest, fetcher: typeof fetch = globalThis.fetch): Promise<AwsSessionCredentials> {
  const body = new URLSearchParams({
    Action: 'AssumeRoleWithWebIdentity',
    Version: '2011-06-15',
    RoleArn: request.roleArn,
    RoleSessionName: request.sessionName,
    WebIdentityToken: request.webIdentityToken,
    DurationSeconds: String(request.durationSeconds),
  });
  let response: Response;
  try {
    response = await fetcher(request.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', accept: 'text/xml' },
      body: body.toString(),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new ExternalServiceError(`AWS STS at ${request.endpoint} did not answer: ${(error as Error).message}`, { service: 'aws-sts', retryable: true, cause: error });
  }
  const xml = await response.text().catch(() => '');
  if (!response.ok) {
    const code = xmlText(xml, 'Code') ?? `HTTP ${response.status}`;
    const message = xmlText(xml, 'Message') ?? xml.slice(0, 200);
    throw new AwsStsRefusal(`AWS STS refused to assume ${request.roleArn}: ${code}: ${message}`, code, response.status);
  }
  const accessKeyId = xmlText(xml, 'AccessKeyId');
  const secretAccessKey = xmlText(xml, 'SecretAccessKey');
  const sessionToken = xmlText(xml, 'SessionToken');
  const expiration = xmlText(xml, 'Expiration');
  if (!accessKeyId || !secretAccessKey || !sessionToken || !expiration || Number.isNaN(Date.parse(expiration))) {
    throw new ExternalServiceError(`AWS STS answered ${request.roleArn} without complete credentials`, { service: 'aws-sts', retryable: false, status: response.status });
  }
  return { accessKeyId, secretAccessKey, sessionToken, expiration: new Date(expiration).toISOString() };
}
