import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobSpec } from '../domain/runner-protocol.js';
import { ConfigError } from '../errors/index.js';
import { assumeRoleWithWebIdentity, AwsStsRefusal, sessionNameFor, stsEndpointFor, type AwsSessionCredentials } from './aws-web-identity.js';
import { exchangeForFederatedToken, externalAccountConfig, GCP_DEFAULT_ENDPOINTS, impersonateServiceAccount, oidcAudienceFor, type GcpEndpoints } from './gcp-workload-identity.js';
import { githubIdTokenSourceOf, requestGitHubIdToken, type GitHubIdTokenSource } from './github-id-token.js';
import type { RunnerLog } from './runner-log.js';
import { completeCredentialSet } from './runtimes/agent-runtime.js';

/** Endpoint overrides (the runner's own environment only, never the project's): tests point them at the loopback emulators. */
export const CLOUD_ENDPOINT_ENV = {
  awsSts: 'AI_IMPLEMENT_AWS_STS_URL',
  gcpSts: 'AI_IMPLEMENT_GCP_STS_URL',
  gcpIamCredentials: 'AI_IMPLEMENT_GCP_IAM_CREDENTIALS_URL',
} as const;

/** The audience AWS expects of a GitHub id token (what aws-actions/configure-aws-credentials asks for). */
export const AWS_OIDC_AUDIENCE = 'sts.amazonaws.com';

/** Static credentials that make a role or a provider unnecessary outside GitHub Actions. */
const STATIC_AWS = [['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'], ['AWS_BEARER_TOKEN_BEDROCK'], ['AWS_PROFILE'], ['AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE']] as const;
const STATIC_GCP = [['GOOGLE_APPLICATION_CREDENTIALS']] as const;

/** A GitHub id token is valid for minutes; the agent's Google library re-reads the file when its hour-long token runs out. */
const TOKEN_FILE_REFRESH_MS = 4 * 60_000;

export interface CloudCredentials {
  readonly kind: 'aws-web-identity' | 'gcp-workload-identity' | 'vertex-settings';
  /** The variables for an agent pass that may run `validForMs`; credentials that would run out sooner are renewed first. */
  agentEnv(validForMs: number): Promise<Record<string, string>>;
  /** Stops background renewal; the job is over. */
  stop(): void;
}

export interface ResolveCloudCredentialsOptions {
  job: JobSpec;
  /** The runner's own environment (GitHub's id-token request variables, endpoint overrides). */
  baseEnv: NodeJS.ProcessEnv;
  /** The agent's environment before this (the project's env and secrets), to see whether static credentials are there. */
  agentEnv: NodeJS.ProcessEnv;
  /** Where the Vertex credential files go: outside the clone, so nothing can commit them. */
  workdir: string;
  log: RunnerLog;
  now: () => Date;
  fetch?: typeof fetch;
}

/**
 * Cloud credentials without static keys, decided from the job's agent
 * section: Bedrock with `awsRoleArn` assumes the role with the job's GitHub
 * OIDC token; Vertex with `gcpWorkloadIdentityProvider` exchanges it at
 * Google STS (and impersonates `gcpServiceAccount`). Both happen before any
 * step, so a trust policy that does not match fails the run at once with
 * the cloud's own reason. Every credential is registered with the log's
 * redactor. Undefined when the job needs none of this.
 */
export async function resolveCloudCredentials(options: ResolveCloudCredentialsOptions): Promise<CloudCredentials | undefined> {
  const { agent } = options.job;
  const aws = agent.provider === 'bedrock' && agent.awsRoleArn ? agent.awsRoleArn : undefined;
  const gcp = agent.provider === 'vertex' && agent.gcpWorkloadIdentityProvider ? agent.gcpWorkloadIdentityProvider : undefined;
  const vertexEnv = vertexSettings(options.job);
  if (!aws && !gcp) return Object.keys(vertexEnv).length > 0 ? { kind: 'vertex-settings', agentEnv: async () => vertexEnv, stop: () => undefined } : undefined;

  const source = githubIdTokenSourceOf(options.baseEnv);
  if (!source) {
    const field = aws ? 'awsRoleArn' : 'gcpWorkloadIdentityProvider';
    if (completeCredentialSet(options.agentEnv, aws ? STATIC_AWS : STATIC_GCP)) {
      options.log.info('keyless cloud identity needs GitHub Actions; using the static credentials in the environment', { field });
      return Object.keys(vertexEnv).length > 0 ? { kind: 'vertex-settings', agentEnv: async () => vertexEnv, stop: () => undefined } : undefined;
    }
    throw new ConfigError(
      aws
        ? `awsRoleArn is set, but this runner is not a GitHub Actions job with \`permissions: id-token: write\`, so it has no GitHub OIDC token to assume ${aws} with. Run the project on GitHub Actions (executionMode github-actions), or give this runner static Bedrock credentials instead: store AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_BEARER_TOKEN_BEDROCK) as project secrets.`
        : `gcpWorkloadIdentityProvider is set, but this runner is not a GitHub Actions job with \`permissions: id-token: write\`, so it has no GitHub OIDC token to exchange at ${gcp}. Run the project on GitHub Actions (executionMode github-actions), or give this runner a static credential instead: store a service account key as a project secret and set GOOGLE_APPLICATION_CREDENTIALS to its file.`,
      [`${field}: keyless credentials work only in GitHub Actions`],
    );
  }
  options.log.addSecret(source.requestToken);
  return aws ? awsWebIdentity(options, source, aws) : gcpWorkloadIdentity(options, source, gcp as string, vertexEnv);
}

/** The mapping's Vertex project and region under the names Claude Code and Gemini CLI read. */
function vertexSettings(job: JobSpec): Record<string, string> {
  const { gcpProjectId: project, vertexRegion: region, provider } = job.agent;
  if (provider !== 'vertex') return {};
  return {
    ...(project ? { ANTHROPIC_VERTEX_PROJECT_ID: project, GOOGLE_CLOUD_PROJECT: project } : {}),
    ...(region ? { CLOUD_ML_REGION: region, GOOGLE_CLOUD_LOCATION: region } : {}),
  };
}

/**
 * The session lasts the job (maxJobMinutes plus five minutes, at least an
 * hour, at most 12 h) unless the mapping says otherwise; a role whose
 * maximum session is shorter gets an hour, with a warning, and each agent
 * pass renews what would expire during it.
 */
function sessionSeconds(job: JobSpec): { seconds: number; explicit: boolean } {
  if (job.agent.awsRoleSessionDuration) return { seconds: job.agent.awsRoleSessionDuration, explicit: true };
  return { seconds: Math.min(43_200, Math.max(3_600, job.agent.maxJobMinutes * 60 + 300)), explicit: false };
}

async function awsWebIdentity(options: ResolveCloudCredentialsOptions, source: GitHubIdTokenSource, roleArn: string): Promise<CloudCredentials> {
  const { job, log, now } = options;
  const region = job.agent.awsRegion ?? options.agentEnv.AWS_REGION ?? 'us-east-1';
  const endpoint = options.baseEnv[CLOUD_ENDPOINT_ENV.awsSts] || stsEndpointFor(roleArn, region);
  const session = sessionSeconds(job);
  let durationSeconds = session.seconds;

  const assume = async (): Promise<AwsSessionCredentials> => {
    const webIdentityToken = await requestGitHubIdToken(source, AWS_OIDC_AUDIENCE, options.fetch);
    log.addSecret(webIdentityToken);
    const request = { roleArn, sessionName: sessionNameFor(job.runId), webIdentityToken, durationSeconds, endpoint };
    let credentials: AwsSessionCredentials;
    try {
      credentials = await assumeRoleWithWebIdentity(request, options.fetch);
    } catch (error) {
      if (!(error instanceof AwsStsRefusal) || error.code !== 'ValidationError' || session.explicit || durationSeconds === 3_600) throw error;
      log.warn('the role refused a session as long as the job; taking one hour (raise the role\'s maximum session duration or set awsRoleSessionDuration)', { roleArn, asked: durationSeconds });
      durationSeconds = 3_600;
      credentials = await assumeRoleWithWebIdentity({ ...request, durationSeconds }, options.fetch);
    }
    for (const value of [credentials.accessKeyId, credentials.secretAccessKey, credentials.sessionToken]) log.addSecret(value);
    log.info('assumed AWS role with the GitHub OIDC token', { roleArn, endpoint, expiration: credentials.expiration });
    return credentials;
  };

  let current = await assume();
  return {
    kind: 'aws-web-identity',
    async agentEnv(validForMs) {
      // An agent process reads its credentials once; renew unless they outlast the pass (or as much of it as a session can).
      const needed = Math.min(validForMs + 60_000, durationSeconds * 1000 - 60_000);
      if (Date.parse(current.expiration) - now().getTime() < needed) current = await assume();
      return { AWS_ACCESS_KEY_ID: current.accessKeyId, AWS_SECRET_ACCESS_KEY: current.secretAccessKey, AWS_SESSION_TOKEN: current.sessionToken, AWS_REGION: region };
    },
    stop: () => undefined,
  };
}

async function gcpWorkloadIdentity(options: ResolveCloudCredentialsOptions, source: GitHubIdTokenSource, provider: string, vertexEnv: Record<string, string>): Promise<CloudCredentials> {
  const { job, log, now } = options;
  const serviceAccount = job.agent.gcpServiceAccount;
  const endpoints: GcpEndpoints = {
    sts: options.baseEnv[CLOUD_ENDPOINT_ENV.gcpSts] || GCP_DEFAULT_ENDPOINTS.sts,
    iamCredentials: options.baseEnv[CLOUD_ENDPOINT_ENV.gcpIamCredentials] || GCP_DEFAULT_ENDPOINTS.iamCredentials,
  };
  const dir = join(options.workdir, 'cloud');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tokenFile = join(dir, 'github-oidc-token');
  const configFile = join(dir, 'gcp-external-account.json');

  const freshIdToken = async (): Promise<string> => {
    const token = await requestGitHubIdToken(source, oidcAudienceFor(provider), options.fetch);
    log.addSecret(token);
    await writeFile(tokenFile, token, { mode: 0o600 });
    await chmod(tokenFile, 0o600);
    return token;
  };

  // The runner does the exchange once itself: a provider or service account that refuses this job fails it now, with Google's reason.
  const federated = await exchangeForFederatedToken({ provider, subjectToken: await freshIdToken(), endpoints, now: now() }, options.fetch);
  log.addSecret(federated.token);
  if (serviceAccount) {
    const impersonated = await impersonateServiceAccount({ serviceAccount, federatedToken: federated.token, endpoints }, options.fetch);
    log.addSecret(impersonated.token);
  }
  await writeFile(configFile, `${JSON.stringify(externalAccountConfig({ provider, tokenFile, endpoints, ...(serviceAccount ? { serviceAccount } : {}) }), null, 2)}\n`, { mode: 0o600 });
  log.info('exchanged the GitHub OIDC token at Google STS', { provider, ...(serviceAccount ? { serviceAccount } : {}), credentials: configFile });

  // The agent's Google library exchanges the token file again when its access token runs out: keep the file fresh meanwhile.
  const timer = setInterval(() => {
    freshIdToken().catch((error: unknown) => log.warn('could not renew the GitHub OIDC token for Google', { reason: (error as Error).message }));
  }, TOKEN_FILE_REFRESH_MS);
  timer.unref();
  return {
    kind: 'gcp-workload-identity',
    async agentEnv() {
      await freshIdToken();
      return { ...vertexEnv, GOOGLE_APPLICATION_CREDENTIALS: configFile };
    },
    stop: () => clearInterval(timer),
  };
}
