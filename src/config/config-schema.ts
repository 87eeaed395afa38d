import { z } from 'zod';
import { DEFAULT_RUN_OWNER_FALLBACK, ownerEmailSchema } from '../domain/run-owner.js';
import { IMAGE_REFERENCE_RULE, isImageReference, parseImageAllowlist } from '../domain/runner-image.js';

/**
 * Every environment variable the orchestrator reads, in one place: its schema,
 * default, whether it is a secret, and the line of documentation the README's
 * configuration table is checked against.
 */

export const RUNNER_MODES = ['default', 'gha', 'fly', 'local', 'shadow'] as const;
export type RunnerMode = (typeof RUNNER_MODES)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const LOG_FORMATS = ['pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface ConfigVariable {
  name: string;
  group: string;
  description: string;
  /** The default as written in the docs, when there is one. */
  defaultText?: string;
  secret?: boolean;
  /**
   * Parses the raw string (undefined when unset). A message it states reads
   * after the variable's name ("must be …; how to fix it"); zod's own
   * issues are put in words by `checkInput`.
   */
  schema: z.ZodType;
  /** A right value, for the error sentence when the schema's message has none. */
  example?: string;
}

const optionalText = z.string().trim().min(1).optional();

function url(example: string) {
  return z
    .string()
    .trim()
    .refine((v) => /^https?:\/\/[^\s/]+/.test(v), {
      message: `must be an http(s) URL, e.g. ${example}`,
    })
    .transform((v) => v.replace(/\/+$/, ''))
    .optional();
}

function integer(min: number, max: number, fallback: number) {
  return z
    .string()
    .trim()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback;
      const n = Number(v);
      if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number from ${min} to ${max} (got "${v}"), e.g. ${fallback}` });
        return z.NEVER;
      }
      return n;
    });
}

function minBytes(bytes: number, howTo: string) {
  return z
    .string()
    .optional()
    .refine((v) => v === undefined || Buffer.byteLength(v, 'utf8') >= bytes, {
      message: `must be at least ${bytes} bytes; ${howTo}`,
    });
}

function minChars(chars: number, howTo: string) {
  return z
    .string()
    .optional()
    .refine((v) => v === undefined || [...v].length >= chars, {
      message: `must be at least ${chars} characters; ${howTo}`,
    });
}

/** `postgres://` or `postgresql://` naming a host (or a socket directory in `?host=`), as `pg` reads it. */
function isPostgresUrl(value: string): boolean {
  if (!/^postgres(ql)?:\/\//i.test(value)) return false;
  try {
    const url = new URL(value);
    return url.hostname !== '' || url.searchParams.has('host');
  } catch {
    // Not parseable as a URL: the refine's message says what to write instead.
    return false;
  }
}

const generateHex = 'generate one with: openssl rand -hex 32';

/** 32 random bytes as base64 or hex: the secrets broker's AES-256 key. */
function aesKey() {
  return z
    .string()
    .trim()
    .refine((v) => /^[0-9a-f]{64}$/i.test(v) || /^[A-Za-z0-9+/]{43}=?$/.test(v), {
      message: `must be 32 random bytes written as base64 (44 characters) or hex (64); make one with: openssl rand -base64 32`,
    })
    .optional();
}
/** Where the release workflow (.github/workflows/release.yml) publishes the runner image. */
export const PUBLISHED_RUNNER_REPOSITORY = 'ghcr.io/ai-implement/runner';

const runnerImage = optionalText.refine((v) => v === undefined || isImageReference(v), { message: IMAGE_REFERENCE_RULE });

const runnerImageAllowlist = optionalText.transform((v, ctx) => {
  if (v === undefined) return [PUBLISHED_RUNNER_REPOSITORY];
  const { entries, invalid } = parseImageAllowlist(v);
  if (invalid.length > 0 || entries.length === 0) {
    ctx.addIssue({
      code: 'custom',
      message: `RUNNER_IMAGE_ALLOWLIST entries must be image repositories such as ghcr.io/acme/runner, or namespaces ending in "/" such as registry.fly.io/ (got ${invalid.map((e) => `"${e}"`).join(', ') || 'none'})`,
    });
    return z.NEVER;
  }
  return entries;
});

export const CONFIG_VARIABLES: readonly ConfigVariable[] = [
  { name: 'PORT', group: 'HTTP', description: 'Port of the HTTP listener', defaultText: '3000', schema: integer(0, 65535, 3000) },
  { name: 'HOST', group: 'HTTP', description: 'Interface to listen on', defaultText: '0.0.0.0 (127.0.0.1 in sandbox mode)', schema: optionalText },
  { name: 'NODE_ENV', group: 'HTTP', description: '`production` turns on JSON logs, `Secure` cookies and HSTS', schema: z.enum(['production', 'development', 'test']).optional() },
  { name: 'TRUSTED_PROXY_HEADER', group: 'HTTP', description: 'Header set by your reverse proxy that carries the client IP (e.g. `fly-client-ip`); unset = the socket address', schema: optionalText.transform((v) => v?.toLowerCase()) },
  { name: 'DATA_DIR', group: 'Storage', description: 'Directory of the embedded store (lowdb files, history, lock)', defaultText: './data', schema: z.string().trim().min(1).default('./data') },
  {
    name: 'DATABASE_URL',
    group: 'Storage',
    description:
      'PostgreSQL store instead of the embedded one, for more than one replica: `postgres://user:password@host:5432/database` (or `postgresql://`; add `?sslmode=require` for TLS). Migrations run at start; `DATA_DIR` then holds no store',
    secret: true,
    schema: z
      .string()
      .trim()
      .optional()
      .refine((v) => v === undefined || isPostgresUrl(v), {
        message: 'DATABASE_URL must be a postgres:// or postgresql:// URL with a host, e.g. postgres://ai_implement:password@db.example.com:5432/ai_implement',
      }),
  },
  { name: 'APP_ID', group: 'GitHub App', description: 'GitHub App id; unset (with no private key) = sandbox mode', schema: z.string().trim().regex(/^\d+$/, 'must be the numeric id shown on the GitHub App settings page, e.g. 123456').optional() },
  { name: 'PRIVATE_KEY', group: 'GitHub App', description: 'GitHub App private key (PEM text)', secret: true, schema: z.string().refine((v) => v.includes('-----BEGIN'), 'must be the PEM text of the GitHub App private key (starting with -----BEGIN); or set PRIVATE_KEY_PATH to the .pem file').optional() },
  { name: 'PRIVATE_KEY_PATH', group: 'GitHub App', description: 'Path of the GitHub App private key file', schema: optionalText },
  { name: 'GITHUB_WEBHOOK_SECRET', group: 'GitHub App', description: 'Webhook secret of the GitHub App (alias `WEBHOOK_SECRET`); unset → the webhook route answers 503', secret: true, schema: optionalText },
  { name: 'WEBHOOK_SECRET', group: 'GitHub App', description: 'Alias of `GITHUB_WEBHOOK_SECRET`', secret: true, schema: optionalText },
  { name: 'GHE_HOST', group: 'GitHub App', description: 'GitHub Enterprise host, no scheme or path: `github.example.com` (Enterprise Server, API under `/api/v3`) or `octocorp.ghe.com` (Enterprise Cloud with data residency, API at `api.octocorp.ghe.com`); unset = github.com', schema: optionalText },
  { name: 'GHE_PROTOCOL', group: 'GitHub App', description: 'Protocol for `GHE_HOST`', defaultText: 'https', schema: z.enum(['http', 'https']).optional() },
  { name: 'LINEAR_API_KEY', group: 'Linear', description: 'Linear API key; enables Linear intake', secret: true, schema: optionalText },
  { name: 'LINEAR_API_URL', group: 'Linear', description: 'Linear GraphQL endpoint', defaultText: 'https://api.linear.app/graphql', schema: url('https://api.linear.app/graphql') },
  { name: 'LINEAR_WEBHOOK_SECRET', group: 'Linear', description: 'Signing secret of the Linear webhook; unset → `/webhooks/linear` answers 503', secret: true, schema: optionalText },
  { name: 'LINEAR_AGENT_USER', group: 'Linear', description: "The app's Linear user id; tickets assigned to it are eligible too", schema: optionalText },
  { name: 'JIRA_HOST', group: 'Jira', description: 'Jira Cloud site URL, e.g. https://acme.atlassian.net', schema: url('https://acme.atlassian.net') },
  { name: 'JIRA_EMAIL', group: 'Jira', description: 'Jira account e-mail for basic auth', schema: optionalText },
  { name: 'JIRA_API_TOKEN', group: 'Jira', description: 'Jira API token', secret: true, schema: optionalText },
  { name: 'JIRA_WEBHOOK_SECRET', group: 'Jira', description: 'Jira webhook secret; unset → `/webhooks/jira` answers 503', secret: true, schema: optionalText },
  { name: 'FLY_API_TOKEN', group: 'Fly Machines', description: 'Fly.io API token; enables the Fly Machines runner and the Sessions panel', secret: true, schema: optionalText },
  { name: 'FLY_API_URL', group: 'Fly Machines', description: 'Fly Machines REST endpoint', defaultText: 'https://api.machines.dev', schema: url('https://api.machines.dev') },
  { name: 'FLY_GRAPHQL_URL', group: 'Fly Machines', description: 'Fly GraphQL endpoint (app secrets)', defaultText: 'https://api.fly.io', schema: url('https://api.fly.io') },
  { name: 'FLY_SESSIONS_APP', group: 'Fly Machines', description: 'Fly app that runs sessions (beats the stored setting)', schema: optionalText },
  { name: 'FLY_SESSIONS_REGION', group: 'Fly Machines', description: 'Default region for new machines (beats the stored setting)', schema: optionalText },
  { name: 'RUNNER_MODE', group: 'Runners', description: 'Overrides the stored runner mode: default, gha, fly, local or shadow', schema: z.enum(RUNNER_MODES).optional() },
  { name: 'RUNNER_TOKEN_SECRET', group: 'Runners', description: 'HS256 key for runner tokens (≥ 32 bytes); unset → runner callbacks answer 501', secret: true, schema: minBytes(32, generateHex) },
  { name: 'RUNNER_TOKEN_SECRET_PREVIOUS', group: 'Runners', description: 'The secret before a rotation; tokens it signed keep verifying until they expire (≥ 32 bytes)', secret: true, schema: minBytes(32, generateHex) },
  { name: 'RUNNER_IMAGE', group: 'Runners', description: 'Runner image (the Dockerfile’s `runner` target) when a project names none: Fly machines run it, and the workflow sync writes it into the repositories’ workflows', defaultText: `${PUBLISHED_RUNNER_REPOSITORY}:<this release’s version>`, schema: runnerImage },
  { name: 'RUNNER_IMAGE_ALLOWLIST', group: 'Runners', description: 'Images runs may use, comma- or space-separated: repositories (`ghcr.io/acme/runner`) or namespaces ending in `/` (`registry.fly.io/`); checked for RUNNER_IMAGE, project images, Fly dispatches and inside the synced workflows', defaultText: PUBLISHED_RUNNER_REPOSITORY, schema: runnerImageAllowlist },
  { name: 'RUNNER_CALLBACK_BASE_URL', group: 'Runners', description: 'Public base URL runners call back to', schema: url('https://ai-implement.example.com') },
  { name: 'RUN_OWNER_FALLBACK', group: 'Runners', description: 'Owner (an email) of a run whose ticket has no assignee email (none, or hidden by the tracker) and whose operator named none; such runs are marked `ownerFallback` and badged in the panels', defaultText: DEFAULT_RUN_OWNER_FALLBACK, schema: ownerEmailSchema.default(DEFAULT_RUN_OWNER_FALLBACK) },
  { name: 'SECRETS_ENCRYPTION_KEY', group: 'Secrets', description: 'AES-256 key (32 bytes, base64 or hex) sealing the secrets runs receive; unset → secrets can be listed but not set or handed out (generated in sandbox mode)', secret: true, schema: aesKey() },
  { name: 'SECRETS_ENCRYPTION_KEY_PREVIOUS', group: 'Secrets', description: 'The key before a rotation: values it sealed are re-sealed with the new key at start', secret: true, schema: aesKey() },
  { name: 'GAP_FILL_TRIGGER_SECRET', group: 'Triggers', description: 'Bearer secret of `POST /trigger/gap-fill`; unset → 503', secret: true, schema: minBytes(16, generateHex) },
  // Login is throttled per address only (no global lockout), so the code's length is what makes guessing hopeless.
  { name: 'ADMIN_ACCESS_CODE', group: 'Admin', description: 'Access code of `/admin` and `/api/*` (≥ 20 characters); unset → both answer 404 (generated in sandbox mode)', secret: true, schema: minChars(20, 'use a long random code, e.g. openssl rand -base64 24') },
  { name: 'POLL_INTERVAL_MS', group: 'Tuning', description: 'Milliseconds between tracker polls', defaultText: '60000', schema: integer(250, 86_400_000, 60_000) },
  { name: 'LEADER_LEASE_TTL_MS', group: 'Tuning', description: 'With DATABASE_URL and several replicas: how long the leader lease (poller, reaper, recovery) lasts unrenewed; another replica takes over within about this long after the leader dies', defaultText: '30000', schema: integer(500, 600_000, 30_000) },
  { name: 'LEADER_LEASE_RENEW_MS', group: 'Tuning', description: 'How often the leader renews its lease and the other replicas try to take it; at most half of LEADER_LEASE_TTL_MS', defaultText: '10000', schema: integer(100, 200_000, 10_000) },
  { name: 'DISPATCH_LEASE_MS', group: 'Tuning', description: 'How long a replica holds the dispatch of a run: a dispatch left unanswered this long (its replica died) is reconciled by the leader, by looking the run up at the backend, not by dispatching again', defaultText: '120000', schema: integer(1_000, 3_600_000, 120_000) },
  { name: 'DISPATCH_RETRY_BACKOFF_MS', group: 'Tuning', description: 'Back-off before a re-queued run (refused or lost dispatch) is dispatched again; doubles per attempt up to 15 minutes', defaultText: '30000', schema: integer(0, 900_000, 30_000) },
  { name: 'DEDUP_WINDOW_HOURS', group: 'Tuning', description: 'Hours a dispatched ticket stays in the dedup window', defaultText: '24', schema: integer(1, 720, 24) },
  { name: 'LOG_LEVEL', group: 'Tuning', description: 'fatal, error, warn, info, debug, trace or silent', defaultText: 'info', schema: z.enum(LOG_LEVELS).default('info') },
  {
    name: 'LOG_FORMAT',
    group: 'Tuning',
    description: '`pretty` (one short line per event, for a person at a terminal) or `json` (one object per line, for a log collector)',
    defaultText: 'pretty on a terminal, json otherwise and in production',
    schema: z.enum(LOG_FORMATS).optional(),
  },
];
