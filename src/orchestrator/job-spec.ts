import type { RegisterSecret } from '../config/index.js';
import type { Mapping } from '../domain/mapping.js';
import { MAPPING_DEFAULTS } from '../domain/mapping-schema.js';
import type { Run } from '../domain/run.js';
import { jobSpecSchema, type GitHubTokenGrant, type JobSpec, type ReviewComment, type RunnerTokenClaims } from '../domain/runner-protocol.js';
import { isSecretEnvName } from '../domain/secret-env-name.js';
import type { WorkItem } from '../domain/work-item.js';
import { AuthError, ExternalServiceError, NotFoundError } from '../errors/index.js';
import type { Clock, Store } from '../store/store.js';
import type { Trackers } from './pending-ticket-writes.js';
import { requireCurrentRun } from './record-progress.js';
import { RunnerRefusal } from './runner-tokens.js';

export interface JobSpecBuilderOptions {
  store: Store;
  trackers: Trackers;
  clock: Clock;
  github: {
    /** REST base the runner talks to (`https://api.github.com`, or the emulator / GHE `/api/v3`). */
    apiUrl: string;
    /** Where clone URLs point (`https://github.com`). */
    webUrl: string;
  };
  /** A short-lived installation token for this one repository (contents + pull_requests write) and its expiry, never the App key. */
  mintRepoToken: (owner: string, repo: string) => Promise<GitHubTokenGrant>;
  /** The mapping's non-secret extra env (secrets come from the broker: `GET /runner/secrets`, or the runner's environment). */
  envFor: (mapping: Mapping) => Record<string, string> | Promise<Record<string, string>>;
  /** Review comments a `review-feedback` run answers; none when unset. */
  reviewCommentsFor?: (run: Run) => Promise<ReviewComment[]>;
  /**
   * Told of every environment value whose name says it is a credential, as
   * it is handed to a runner: the run may print it back in a summary or log.
   * (The installation token is registered where it is minted.)
   */
  registerSecret?: RegisterSecret;
}

export interface JobSpecBuilder {
  build(claims: RunnerTokenClaims): Promise<JobSpec>;
}

const SLUG_MAX = 40;

/** Lowercase ASCII words joined by `-`, at most 40 characters, never ending on `-`. */
export function slugify(text: string, max = SLUG_MAX): string {
  const slug = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return slug.slice(0, max).replace(/-+$/, '');
}

/** `ai-implement/eng-12-add-dark-mode`: stable for a ticket, so a re-dispatch continues the same branch. */
export function branchFor(identifier: string, title: string): string {
  const slug = slugify(title);
  const key = identifier.toLowerCase().replace(/[^a-z0-9-]+/g, '-');
  return `ai-implement/${key}${slug ? `-${slug}` : ''}`;
}

/** The mapping's keyless cloud identity (a role to assume, a workload identity provider), as the runner takes it. */
function cloudIdentityOf(mapping: Mapping): Partial<JobSpec['agent']> {
  const fields = ['awsRoleArn', 'awsRoleSessionDuration', 'gcpWorkloadIdentityProvider', 'gcpServiceAccount', 'gcpProjectId', 'vertexRegion'] as const;
  return Object.fromEntries(fields.filter((f) => mapping[f] !== undefined).map((f) => [f, mapping[f]]));
}

/** Turns a tracker failure into an answer the runner can act on (retry later, or give up). */
function trackerRefusal(error: unknown): RunnerRefusal {
  if (error instanceof ExternalServiceError) {
    return new RunnerRefusal('tracker-unavailable', `The ${error.service} tracker did not answer: ${error.message}`, Math.ceil((error.retryAfterMs ?? 30_000) / 1000));
  }
  if (error instanceof NotFoundError) return new RunnerRefusal('ticket-missing', error.message);
  if (error instanceof AuthError) return new RunnerRefusal('tracker-unavailable', `The tracker refused our credentials: ${error.message}`, 300);
  throw error;
}

/**
 * Everything a runner needs, fetched with its progress token rather than
 * passed as workflow inputs, so secrets never show in a workflow's run page.
 */
export function createJobSpecBuilder(options: JobSpecBuilderOptions): JobSpecBuilder {
  const { store, trackers, clock } = options;

  async function ticketOf(run: Run): Promise<WorkItem> {
    const tracker = trackers[run.tracker];
    if (!tracker) throw new RunnerRefusal('ticket-missing', `No ${run.tracker} tracker is configured`);
    let item: WorkItem | undefined;
    try {
      item = await tracker.getItem(run.issueId);
    } catch (error) {
      throw trackerRefusal(error);
    }
    if (!item) throw new RunnerRefusal('ticket-missing', `Ticket ${run.identifier} no longer exists`);
    return item;
  }

  return {
    async build(claims) {
      const run = await requireCurrentRun(store, claims);
      const mapping = await store.mappings.get(run.mappingKey);
      if (!mapping) throw new RunnerRefusal('mapping-missing', `The project ${run.mappingKey} of run ${run.id} no longer exists`);
      const item = await ticketOf(run);
      const [grant, env, reviewComments] = await Promise.all([
        options.mintRepoToken(mapping.owner, mapping.repo),
        options.envFor(mapping),
        run.phase === 'review-feedback' && options.reviewCommentsFor ? options.reviewCommentsFor(run) : Promise.resolve(undefined),
      ]);
      for (const [name, value] of Object.entries(env)) if (isSecretEnvName(name)) options.registerSecret?.(value);
      const deadlineAt = run.deadlineAt ?? new Date(clock() + mapping.maxJobMinutes * 60_000).toISOString();
      const spec: JobSpec = {
        runId: run.id,
        attempt: run.attempt,
        phase: run.phase,
        pipeline: run.phase,
        shadow: Boolean(run.shadowOf),
        deadlineAt,
        mappingKey: run.mappingKey,
        ticket: { tracker: item.tracker, id: item.id, identifier: item.identifier, title: item.title, description: item.description, url: item.url },
        repo: {
          owner: mapping.owner,
          name: mapping.repo,
          defaultBranch: mapping.defaultBranch,
          cloneUrl: `${options.github.webUrl.replace(/\/+$/, '')}/${mapping.owner}/${mapping.repo}.git`,
          branch: run.branch ?? branchFor(item.identifier, item.title),
          ...(run.prNumber ? { prNumber: run.prNumber } : {}),
        },
        github: { apiUrl: options.github.apiUrl, token: grant.token, tokenExpiresAt: grant.expiresAt },
        agent: {
          runtime: mapping.agentRuntime,
          provider: mapping.provider,
          ...(mapping.awsRegion ? { awsRegion: mapping.awsRegion } : {}),
          ...cloudIdentityOf(mapping),
          ...(mapping.models ? { models: { ...mapping.models } } : {}),
          ...(mapping.fallbackRuntime ? { fallbackRuntime: mapping.fallbackRuntime } : {}),
          stallMs: (mapping.agentStallMinutes ?? MAPPING_DEFAULTS.agentStallMinutes) * 60_000,
          maxTurns: mapping.maxTurns,
          maxIterations: mapping.maxIterations,
          maxJobMinutes: mapping.maxJobMinutes,
        },
        ...(run.instructions ? { instructions: run.instructions } : {}),
        ...(reviewComments && reviewComments.length > 0 ? { reviewComments } : {}),
        env: { ...env },
      };
      // The runner parses with the same schema; failing here names the bad field instead of a confused runner.
      return jobSpecSchema.parse(spec);
    },
  };
}
