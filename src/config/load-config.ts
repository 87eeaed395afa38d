import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors/index.js';
import { checkInput, problemSentence } from '../domain/check-input.js';
import { imageNotAllowedMessage, isImageAllowed } from '../domain/runner-image.js';
import { CONFIG_VARIABLES, PUBLISHED_RUNNER_REPOSITORY, type LogFormat, type LogLevel, type RunnerMode } from './config-schema.js';
import { gheHostProblems, githubEndpoints, type GitHubProtocol } from './github-endpoints.js';
import type { SecretRegistry } from './secret-registry.js';

export interface GitHubConfig {
  appId: number | undefined;
  privateKey: string | undefined;
  webhookSecret: string | undefined;
  /** REST base URL, e.g. https://api.github.com, https://api.octocorp.ghe.com or http://127.0.0.1:4010/api/v3. */
  baseUrl: string;
  /** Web root: clone URLs and links (https://github.com, https://octocorp.ghe.com, https://github.example.com). */
  webUrl: string;
  /** Who signs GitHub Actions id tokens for this GitHub; the emulator's root in sandbox mode. */
  actionsOidcIssuer: string;
}

export interface LinearConfig {
  apiKey: string | undefined;
  apiUrl: string;
  webhookSecret: string | undefined;
  agentUserId: string | undefined;
}

export interface JiraConfig {
  host: string | undefined;
  email: string | undefined;
  apiToken: string | undefined;
  webhookSecret: string | undefined;
}

export interface FlyConfig {
  apiToken: string | undefined;
  apiUrl: string;
  graphqlUrl: string;
  sessionsApp: string | undefined;
  sessionsRegion: string | undefined;
}

export interface Config {
  port: number;
  host: string | undefined;
  production: boolean;
  trustedProxyHeader: string | undefined;
  dataDir: string;
  /** `DATABASE_URL`: the PostgreSQL store instead of lowdb under `dataDir`. */
  databaseUrl: string | undefined;
  /** No GitHub App credentials: emulators stand in for every external service. */
  sandbox: boolean;
  github: GitHubConfig;
  linear: LinearConfig;
  jira: JiraConfig;
  fly: FlyConfig;
  /** `RUNNER_MODE` from the environment; beats the stored setting when set. */
  runnerModeOverride: RunnerMode | undefined;
  runnerTokenSecret: string | undefined;
  runnerTokenSecretPrevious: string | undefined;
  /** The runner image when a project names none. */
  runnerImage: string;
  /** The secrets broker's key and the one before a rotation (validated format; parsed where it is used). */
  secretsEncryptionKey: string | undefined;
  secretsEncryptionKeyPrevious: string | undefined;
  /** Repositories (or namespaces ending in `/`) a runner image must belong to. */
  runnerImageAllowlist: readonly string[];
  runnerCallbackBaseUrl: string | undefined;
  gapFillTriggerSecret: string | undefined;
  adminAccessCode: string | undefined;
  pollIntervalMs: number;
  /** The leader lease of the periodic jobs (one replica at a time runs them). */
  leaderLease: { ttlMs: number; renewMs: number };
  /** DISPATCH_LEASE_MS and DISPATCH_RETRY_BACKOFF_MS: the dispatch queue's lease and re-queue back-off. */
  dispatch: { leaseMs: number; retryBackoffMs: number };
  dedupWindowHours: number;
  /** `RUN_OWNER_FALLBACK`: who owns a run nobody was named for. */
  runOwnerFallback: string;
  logLevel: LogLevel;
  /** `LOG_FORMAT`; unset = decided by where the lines go (see chooseLogFormat). */
  logFormat: LogFormat | undefined;
}

export interface LoadConfigOptions {
  /** Every secret value found is registered here for redaction. */
  secrets?: SecretRegistry;
  readFile?: (path: string) => string;
  /**
   * Sandbox mode is decided on the operator's own environment, before the
   * sandbox fills in emulator credentials; the composition root passes it on.
   */
  sandbox?: boolean;
  /** This release's version: the default RUNNER_IMAGE is the runner image published with it. */
  version?: string;
}

type Env = Record<string, string | undefined>;

/** True when no GitHub App credential is set: `npm start` then runs sandbox mode. */
export function isSandboxEnv(env: Env): boolean {
  return !nonEmpty(env.APP_ID) && !nonEmpty(env.PRIVATE_KEY) && !nonEmpty(env.PRIVATE_KEY_PATH);
}

/**
 * Parses the environment into a frozen config. Fails with one ConfigError that
 * lists every bad key and how to fix it, so an operator fixes them in one go.
 */
export function loadConfig(env: Env, options: LoadConfigOptions = {}): Readonly<Config> {
  const readFile = options.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  const problems: string[] = [];
  const raw: Record<string, unknown> = {};

  for (const variable of CONFIG_VARIABLES) {
    const value = nonEmpty(env[variable.name]);
    const checked = checkInput(variable.schema, value, { where: variable.name, ...(variable.example ? { hints: { [variable.name]: { example: variable.example } } } : {}) });
    if (checked.ok) {
      raw[variable.name] = checked.data;
    } else {
      for (const problem of checked.problems) problems.push(problemSentence(problem));
    }
  }

  const str = (name: string) => raw[name] as string | undefined;

  let privateKey = str('PRIVATE_KEY');
  const keyPath = str('PRIVATE_KEY_PATH');
  if (!privateKey && keyPath) {
    try {
      privateKey = readFile(keyPath);
      if (!privateKey.includes('-----BEGIN')) problems.push(`PRIVATE_KEY_PATH names ${keyPath}, which does not hold a PEM private key; point it at the .pem file downloaded from the GitHub App settings, e.g. PRIVATE_KEY_PATH=/run/secrets/app.pem`);
    } catch (error) {
      problems.push(`PRIVATE_KEY_PATH cannot be read: ${keyPath} (${(error as NodeJS.ErrnoException).code ?? 'error'}); point it at the .pem file downloaded from the GitHub App settings, e.g. PRIVATE_KEY_PATH=/run/secrets/app.pem`);
    }
  }
  const leaseTtl = raw.LEADER_LEASE_TTL_MS as number | undefined;
  const leaseRenew = raw.LEADER_LEASE_RENEW_MS as number | undefined;
  // A holder that renews less often than its lease lasts would lose it between renewals.
  if (leaseTtl !== undefined && leaseRenew !== undefined && leaseRenew * 2 > leaseTtl) {
    problems.push(`LEADER_LEASE_RENEW_MS (${leaseRenew}) must be at most half of LEADER_LEASE_TTL_MS (${leaseTtl}), so the leader renews before its lease runs out, e.g. LEADER_LEASE_TTL_MS=30000 and LEADER_LEASE_RENEW_MS=10000`);
  }
  const appId = str('APP_ID');
  if (appId && !privateKey && !keyPath && !problems.some((p) => p.startsWith('PRIVATE_KEY'))) {
    problems.push('PRIVATE_KEY is required when APP_ID is set: the GitHub App private key as PEM text, or PRIVATE_KEY_PATH naming its file, e.g. PRIVATE_KEY_PATH=/run/secrets/app.pem');
  }
  if (!appId && (str('PRIVATE_KEY') || keyPath)) {
    problems.push('APP_ID is required when a private key is set: the numeric id shown on the GitHub App settings page, e.g. APP_ID=123456');
  }
  const jiraHost = str('JIRA_HOST');
  if (jiraHost && (!str('JIRA_EMAIL') || !str('JIRA_API_TOKEN'))) {
    for (const name of ['JIRA_EMAIL', 'JIRA_API_TOKEN']) {
      if (!str(name)) problems.push(`${name} is required when JIRA_HOST is set (Jira basic auth), e.g. ${name === 'JIRA_EMAIL' ? 'JIRA_EMAIL=ai-implement@acme.com' : 'JIRA_API_TOKEN=<a token from id.atlassian.com/manage-profile/security/api-tokens>'}`);
    }
  }
  if (!jiraHost && str('JIRA_API_TOKEN')) {
    problems.push('JIRA_HOST is required when JIRA_API_TOKEN is set: your Jira Cloud site URL, e.g. JIRA_HOST=https://acme.atlassian.net');
  }

  problems.push(...callbackProblems(str, options.sandbox ?? isSandboxEnv(env)));
  const gheHost = str('GHE_HOST');
  const gheProtocol = raw.GHE_PROTOCOL as GitHubProtocol | undefined;
  problems.push(...gheHostProblems(gheHost, gheProtocol));

  const runnerImage = str('RUNNER_IMAGE') ?? defaultRunnerImage(options.version);
  const runnerImageAllowlist = raw.RUNNER_IMAGE_ALLOWLIST as string[] | undefined;
  if (runnerImageAllowlist && !isImageAllowed(runnerImage, runnerImageAllowlist)) {
    problems.push(`RUNNER_IMAGE ${imageNotAllowedMessage(runnerImage, runnerImageAllowlist)}`);
  }

  if (problems.length > 0) {
    throw new ConfigError(`Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  - ${p}`).join('\n')}`, problems);
  }

  if (options.secrets) {
    for (const variable of CONFIG_VARIABLES) if (variable.secret) options.secrets.register(str(variable.name));
    options.secrets.register(privateKey);
  }

  const sandbox = options.sandbox ?? isSandboxEnv(env);
  const endpoints = githubEndpoints(gheHost, gheProtocol);
  const config: Config = {
    port: raw.PORT as number,
    host: str('HOST'),
    production: str('NODE_ENV') === 'production',
    trustedProxyHeader: str('TRUSTED_PROXY_HEADER'),
    dataDir: str('DATA_DIR') ?? './data',
    databaseUrl: str('DATABASE_URL'),
    sandbox,
    github: {
      appId: appId ? Number(appId) : undefined,
      privateKey,
      webhookSecret: str('GITHUB_WEBHOOK_SECRET') ?? str('WEBHOOK_SECRET'),
      baseUrl: endpoints.apiBaseUrl,
      webUrl: endpoints.webUrl,
      // The GitHub emulator signs its id tokens as its own root.
      actionsOidcIssuer: sandbox && gheHost ? endpoints.webUrl : endpoints.actionsOidcIssuer,
    },
    linear: {
      apiKey: str('LINEAR_API_KEY'),
      apiUrl: str('LINEAR_API_URL') ?? 'https://api.linear.app/graphql',
      webhookSecret: str('LINEAR_WEBHOOK_SECRET'),
      agentUserId: str('LINEAR_AGENT_USER'),
    },
    jira: {
      host: jiraHost,
      email: str('JIRA_EMAIL'),
      apiToken: str('JIRA_API_TOKEN'),
      webhookSecret: str('JIRA_WEBHOOK_SECRET'),
    },
    fly: {
      apiToken: str('FLY_API_TOKEN'),
      apiUrl: str('FLY_API_URL') ?? 'https://api.machines.dev',
      graphqlUrl: str('FLY_GRAPHQL_URL') ?? 'https://api.fly.io',
      sessionsApp: str('FLY_SESSIONS_APP'),
      sessionsRegion: str('FLY_SESSIONS_REGION'),
    },
    runnerModeOverride: raw.RUNNER_MODE as RunnerMode | undefined,
    runnerTokenSecret: str('RUNNER_TOKEN_SECRET'),
    runnerTokenSecretPrevious: str('RUNNER_TOKEN_SECRET_PREVIOUS'),
    runnerImage,
    runnerImageAllowlist: runnerImageAllowlist ?? [PUBLISHED_RUNNER_REPOSITORY],
    secretsEncryptionKey: str('SECRETS_ENCRYPTION_KEY'),
    secretsEncryptionKeyPrevious: str('SECRETS_ENCRYPTION_KEY_PREVIOUS'),
    runnerCallbackBaseUrl: str('RUNNER_CALLBACK_BASE_URL'),
    gapFillTriggerSecret: str('GAP_FILL_TRIGGER_SECRET'),
    adminAccessCode: str('ADMIN_ACCESS_CODE'),
    pollIntervalMs: raw.POLL_INTERVAL_MS as number,
    leaderLease: { ttlMs: raw.LEADER_LEASE_TTL_MS as number, renewMs: raw.LEADER_LEASE_RENEW_MS as number },
    dispatch: { leaseMs: raw.DISPATCH_LEASE_MS as number, retryBackoffMs: raw.DISPATCH_RETRY_BACKOFF_MS as number },
    dedupWindowHours: raw.DEDUP_WINDOW_HOURS as number,
    runOwnerFallback: raw.RUN_OWNER_FALLBACK as string,
    logLevel: raw.LOG_LEVEL as LogLevel,
    logFormat: raw.LOG_FORMAT as LogFormat | undefined,
  };
  return deepFreeze(config);
}

/** The runner image published with this release (release.yml tags each one with its version), else `latest`. */
export function defaultRunnerImage(version: string | undefined): string {
  const tag = version && /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/.test(version) ? version : 'latest';
  return `${PUBLISHED_RUNNER_REPOSITORY}:${tag}`;
}

const LOOPBACK_HOST = /^(localhost|127(?:\.\d{1,3}){3}|\[?::1\]?)$/i;

function hostOf(url: string | undefined, fallback: string): string {
  try {
    return new URL(url ?? fallback).hostname;
  } catch {
    return '';
  }
}

/**
 * Runners on GitHub Actions or Fly run elsewhere and call back over the
 * network: without RUNNER_CALLBACK_BASE_URL they would be told this process's
 * listening address (loopback in a container), and over plain http their run
 * tokens would travel in clear. Emulated backends on loopback need neither.
 */
function callbackProblems(str: (name: string) => string | undefined, sandbox: boolean): string[] {
  const callback = str('RUNNER_CALLBACK_BASE_URL');
  const problems: string[] = [];
  if (callback) {
    const url = new URL(callback);
    if (url.protocol !== 'https:' && !LOOPBACK_HOST.test(url.hostname)) {
      problems.push(`RUNNER_CALLBACK_BASE_URL must be https (plain http only on loopback), not ${callback}: runners send their tokens to it; e.g. https://ai-implement.example.com`);
    }
  }
  if (sandbox || callback || str('RUNNER_MODE') === 'local') return problems;
  const remote: string[] = [];
  if (str('APP_ID') && !LOOPBACK_HOST.test(str('GHE_HOST')?.split(':')[0] ?? 'api.github.com')) remote.push('GitHub Actions');
  if (str('FLY_API_TOKEN') && !LOOPBACK_HOST.test(hostOf(str('FLY_API_URL'), 'https://api.machines.dev'))) remote.push('Fly Machines');
  if (remote.length > 0) {
    problems.push(
      `RUNNER_CALLBACK_BASE_URL is required when runs can go to ${remote.join(' or ')}, whose runners cannot reach this machine's own address; set it to the public https URL of this orchestrator, e.g. https://ai-implement.example.com (or set RUNNER_MODE=local to run everything locally)`,
    );
  }
  return problems;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function deepFreeze<T extends object>(value: T): Readonly<T> {
  for (const inner of Object.values(value)) {
    if (inner && typeof inner === 'object' && !Object.isFrozen(inner)) deepFreeze(inner as object);
  }
  return Object.freeze(value);
}
