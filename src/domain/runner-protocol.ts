import { z } from 'zod';
import { MODEL_PROVIDERS } from './mapping.js';

/**
 * The wire contract between the orchestrator and the runner CLI, shared by
 * both sides: token audiences, the environment a runner starts with, the job
 * spec it fetches, and the progress and result bodies it posts.
 *
 *   runner start (env or OIDC exchange at POST /runner/token)
 *     → GET  /runner/job        Authorization: Bearer <progress token>  → JobSpec
 *     → POST /runner/progress   Authorization: Bearer <progress token>  ProgressBody (many)
 *     → POST /runner/token      Authorization: Bearer <progress token>  GitHubTokenRequest → GitHubTokenGrant
 *                               (before the job's GitHub token expires; as often as needed)
 *     → POST /runner/result     Authorization: Bearer <result token>    ResultBody (once)
 */

export const RUNNER_AUDIENCE = {
  result: 'runner-result',
  progress: 'runner-progress',
} as const;
export type RunnerAudience = (typeof RUNNER_AUDIENCE)[keyof typeof RUNNER_AUDIENCE];

/** Environment variables a Fly or local runner starts with. */
export const RUNNER_ENV = {
  url: 'AI_IMPLEMENT_URL',
  runId: 'AI_IMPLEMENT_RUN_ID',
  attempt: 'AI_IMPLEMENT_ATTEMPT',
  progressToken: 'AI_IMPLEMENT_PROGRESS_TOKEN',
  resultToken: 'AI_IMPLEMENT_RESULT_TOKEN',
  /** Comma-separated names of the variables the broker set (Fly, local): their values are secrets. */
  secretNames: 'AI_IMPLEMENT_SECRET_NAMES',
} as const;

/** Claims of a runner token (HS256 JWT; header carries `kid`). */
export interface RunnerTokenClaims {
  aud: RunnerAudience;
  /** The run id. */
  sub: string;
  attempt: number;
  jti: string;
  iat: number;
  exp: number;
}

export interface RunTokenPair {
  progressToken: string;
  resultToken: string;
  /** ISO time both expire (at most the run deadline + 15 minutes). */
  expiresAt: string;
}

/** Mints the tokens of one dispatch attempt; implemented next to the callback routes. */
export interface RunTokenIssuer {
  mint(runId: string, attempt: number, deadlineAt: string): RunTokenPair;
}

export const STEP_STATUSES = ['running', 'passed', 'failed', 'skipped', 'cancelled'] as const;

const isoTime = z.iso.datetime({ offset: true });

export const stepEventSchema = z.object({
  id: z.string().min(1).max(200),
  type: z.string().min(1).max(100),
  status: z.enum(STEP_STATUSES),
  parentId: z.string().min(1).max(200).optional(),
  title: z.string().max(300).optional(),
  startedAt: isoTime.optional(),
  finishedAt: isoTime.optional(),
  /** Structured output of the step (JSON). */
  output: z.unknown().optional(),
  /** Tail of the step's log; the server keeps at most 8 KiB. */
  logExcerpt: z.string().optional(),
});
export type StepEvent = z.infer<typeof stepEventSchema>;

export const progressBodySchema = z.object({
  runId: z.string().min(1),
  attempt: z.number().int().positive(),
  /** The pipeline's steps in order, sent with the first report so a checklist can show pending ones. */
  plannedSteps: z.array(z.object({ id: z.string().min(1), type: z.string().min(1), title: z.string().optional() })).max(200).optional(),
  steps: z.array(stepEventSchema).max(100).default([]),
  /**
   * The run's agent usage so far (the totals, not a delta), sent with every
   * report once an agent call has finished: the orchestrator checks spend
   * limits against it while the run goes on.
   */
  usage: z
    .object({
      costUsd: z.number().nonnegative().optional(),
      tokens: z
        .object({
          input: z.number().int().nonnegative(),
          output: z.number().int().nonnegative(),
          cacheRead: z.number().int().nonnegative().optional(),
          cacheWrite: z.number().int().nonnegative().optional(),
        })
        .optional(),
    })
    .optional(),
  /** When the agent was first started with its prompt: its first model request (a service level). */
  firstModelRequestAt: isoTime.optional(),
});
export type ProgressBody = z.infer<typeof progressBodySchema>;

export const RUN_OUTCOMES = ['succeeded', 'failed', 'cancelled'] as const;

/** Tokens an agent used; cache reads and writes are counted apart (they are priced apart). */
export const tokenUsageSchema = z.object({
  input: z.number().int().nonnegative(),
  output: z.number().int().nonnegative(),
  cacheRead: z.number().int().nonnegative().optional(),
  cacheWrite: z.number().int().nonnegative().optional(),
});

export const resultBodySchema = z.object({
  runId: z.string().min(1),
  attempt: z.number().int().positive(),
  outcome: z.enum(RUN_OUTCOMES),
  /** http(s) only here; the host and repository are checked against the run when the result arrives. */
  prUrl: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).max(2_000).optional(),
  prNumber: z.number().int().positive().optional(),
  branch: z.string().min(1).max(255).optional(),
  summary: z.string().max(20_000).optional(),
  /** The plan text of a `plan` run, posted to the ticket. */
  plan: z.string().max(60_000).optional(),
  failureReason: z.string().max(4_000).optional(),
  failedStep: z.string().max(200).optional(),
  costUsd: z.number().nonnegative().optional(),
  tokens: tokenUsageSchema.optional(),
  /** Which agent did the work (after any fallback) and with which model. */
  agent: z
    .object({
      runtime: z.string().min(1).max(40),
      model: z.string().max(200).optional(),
      provider: z.string().max(40).optional(),
      /** Runtimes that gave up before this one (overloaded, stalled), in order. */
      fallbackFrom: z.array(z.string().max(40)).max(10).optional(),
    })
    .optional(),
});
export type ResultBody = z.infer<typeof resultBodySchema>;

export const reviewCommentSchema = z.object({
  author: z.string(),
  body: z.string(),
  path: z.string().optional(),
  line: z.number().int().optional(),
  url: z.string().optional(),
});
export type ReviewComment = z.infer<typeof reviewCommentSchema>;

/** What `GET /runner/job` answers: everything the runner needs, fetched with its token, never passed as workflow inputs. */
export const jobSpecSchema = z.object({
  runId: z.string(),
  attempt: z.number().int().positive(),
  phase: z.enum(['plan', 'implement', 'gap-fill', 'review-feedback']),
  /** Pipeline name under pipelines/ (or custom/pipelines/). */
  pipeline: z.string(),
  shadow: z.boolean(),
  deadlineAt: isoTime,
  ticket: z.object({
    tracker: z.enum(['linear', 'jira']),
    id: z.string(),
    identifier: z.string(),
    title: z.string(),
    description: z.string(),
    url: z.string(),
  }),
  repo: z.object({
    owner: z.string(),
    name: z.string(),
    defaultBranch: z.string(),
    /** Clone URL without credentials; the runner adds `githubToken`. */
    cloneUrl: z.string(),
    /** The branch the run works on (`ai-implement/<identifier>-<slug>`, or the PR's head). */
    branch: z.string(),
    prNumber: z.number().int().positive().optional(),
  }),
  github: z.object({
    apiUrl: z.string(),
    /** Installation token scoped to this one repository (contents + pull requests). */
    token: z.string(),
    /** When `token` expires; the runner asks `POST /runner/token` for a fresh one before then (optional so older servers still validate). */
    tokenExpiresAt: isoTime.optional(),
  }),
  agent: z.object({
    runtime: z.string(),
    provider: z.enum(MODEL_PROVIDERS),
    awsRegion: z.string().optional(),
    /** Bedrock through GitHub OIDC: the role the runner assumes (AssumeRoleWithWebIdentity) and for how many seconds. */
    awsRoleArn: z.string().optional(),
    awsRoleSessionDuration: z.number().int().positive().optional(),
    /** Vertex through workload identity federation: the provider, the service account to impersonate, the project and region. */
    gcpWorkloadIdentityProvider: z.string().optional(),
    gcpServiceAccount: z.string().optional(),
    gcpProjectId: z.string().optional(),
    vertexRegion: z.string().optional(),
    /** The mapping's model per runtime; the repository's WORKFLOW.md overrides it. */
    models: z.record(z.string(), z.string()).optional(),
    fallbackRuntime: z.string().optional(),
    stallMs: z.number().int().positive().optional(),
    maxTurns: z.number().int().positive(),
    maxIterations: z.number().int().positive(),
    maxJobMinutes: z.number().int().positive(),
  }),
  instructions: z.string().optional(),
  reviewComments: z.array(reviewCommentSchema).optional(),
  /** The mapping that produced the run, echoed into the PR metadata marker (optional so older servers still validate). */
  mappingKey: z.string().min(1).optional(),
  /** The mapping's non-secret extra env; secrets are never in a job spec. */
  env: z.record(z.string(), z.string()),
});
export type JobSpec = z.infer<typeof jobSpecSchema>;

/**
 * `POST /runner/token` with the run's progress token and this body: a fresh
 * installation token for the run's repository. `kind` tells it apart from the
 * OIDC exchange on the same route (whose body is `{ runId }` alone).
 */
export const githubTokenRequestSchema = z.object({
  runId: z.string().min(1).max(200),
  attempt: z.number().int().positive(),
  kind: z.literal('github'),
});
export type GitHubTokenRequest = z.infer<typeof githubTokenRequestSchema>;

/** The answer: a token scoped to the run's one repository (contents + pull requests), and when it expires. */
export const githubTokenGrantSchema = z.object({
  token: z.string().min(1),
  expiresAt: isoTime,
});
export type GitHubTokenGrant = z.infer<typeof githubTokenGrantSchema>;

/**
 * `GET /runner/secrets` with the run's progress token: the mapping's secrets
 * from the broker, for a GitHub Actions job (a Fly machine and a local child
 * get theirs in their environment when they are created). Kept out of the job
 * spec so nothing that copies or logs a spec can hold them.
 */
export const runnerSecretsSchema = z.object({
  env: z.record(z.string().regex(/^[A-Z][A-Z0-9_]*$/), z.string()),
});
export type RunnerSecrets = z.infer<typeof runnerSecretsSchema>;

/** `POST /runner/token` answer after a GitHub Actions OIDC exchange. */
export interface RunnerTokenExchange {
  runId: string;
  attempt: number;
  progressToken: string;
  resultToken: string;
  expiresAt: string;
}

/** Hidden marker a PR body carries so webhooks can find the run, ticket and mapping again. */
export const PR_METADATA_PATTERN = /<!--\s*ai-implement:pr\s+(\{.*?\})\s*-->/s;
export interface PrMetadata {
  runId: string;
  issueId: string;
  identifier: string;
  mappingKey: string;
}
export function renderPrMetadata(meta: PrMetadata): string {
  return `<!-- ai-implement:pr ${JSON.stringify(meta)} -->`;
}
