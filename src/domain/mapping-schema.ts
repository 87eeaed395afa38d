import { z } from 'zod';
import { checkInput, type FieldHint, type FieldProblem } from './check-input.js';
import { MODEL_PROVIDERS, type Mapping } from './mapping.js';
import { IMAGE_REFERENCE_RULE, isImageReference } from './runner-image.js';
import { GITHUB_OWNER_PATTERN, GITHUB_OWNER_RULE, GITHUB_REPO_PATTERN, GITHUB_REPO_RULE } from './github-names.js';

/**
 * What an operator sends to create or replace a project mapping (the JSON
 * field names of the operator guide). Optional fields get the documented
 * defaults; `maxIterations` defaults by provider (Bedrock 2, Anthropic 3).
 */

export const MAPPING_DEFAULTS = {
  maxInProgressAiIssues: 3,
  maxTurns: 50,
  maxIterationsAnthropic: 3,
  maxIterationsBedrock: 2,
  maxJobMinutes: 90,
  executionMode: 'github-actions',
  provider: 'anthropic',
  agentRuntime: 'claude-code',
  workflowFile: 'claude-implement.yml',
  planningWorkflowFile: 'claude-plan.yml',
  /** No output and no change in the work tree for this long: the agent is stopped and the step retried. */
  agentStallMinutes: 10,
} as const;

export const AGENT_RUNTIMES = ['claude-code', 'opencode', 'codex', 'gemini', 'cursor', 'demo'] as const;

const key = z
  .string()
  .trim()
  .regex(/^[A-Za-z][A-Za-z0-9_-]{0,39}$/, 'must start with a letter and hold only letters, digits, "_" or "-" (at most 40), e.g. "WEB"');
const githubOwner = z.string().trim().regex(GITHUB_OWNER_PATTERN, `${GITHUB_OWNER_RULE}, e.g. "acme"`);
const githubRepo = z.string().trim().regex(GITHUB_REPO_PATTERN, `${GITHUB_REPO_RULE}, e.g. "web-app"`);
const branch = z
  .string()
  .trim()
  .min(1, 'is required: the branch PRs target, the repository’s primary branch (commonly main, master or development), e.g. "main"')
  .regex(/^(?!\/)(?!.*\.\.)(?!.*\/$)[^\s~^:?*[\\]+$/, 'is not a valid branch name (no spaces, "..", any of ~^:?*[\\ or a "/" at either end), e.g. "main"');
/** A spend limit in dollars: above zero, at most a million, cents at most. */
const usd = z
  .number()
  .positive('must be above 0 dollars; leave the field out for no limit, e.g. 25')
  .max(1_000_000, 'must be at most 1000000 dollars, e.g. 25')
  .refine((n) => Math.abs(n * 100 - Math.round(n * 100)) < 1e-6, 'must be whole cents at most, e.g. 12.5');
const share = z.number().min(0, 'must be a share from 0 to 1, e.g. 0.8').max(1, 'must be a share from 0 to 1, e.g. 0.8');
const positiveInt = (max: number) => z.number().int().min(1).max(max);

export const mappingInputSchema = z
  .object({
    teamKey: key,
    trackerKind: z.enum(['linear', 'jira']).default('linear'),
    linear: z
      .object({
        teamKey: z.string().trim().min(1).optional(),
        projectFilter: z.string().trim().min(1).optional(),
        labelFilter: z.string().trim().min(1).optional(),
      })
      .strict()
      .optional(),
    jira: z
      .object({
        jql: z.string().trim().min(1, 'is required for a Jira project'),
        repoFieldValue: z.string().trim().min(1).optional(),
      })
      .strict()
      .optional(),
    owner: githubOwner,
    repo: githubRepo,
    defaultBranch: branch,
    executionMode: z.enum(['github-actions', 'fly-machines', 'local']).default(MAPPING_DEFAULTS.executionMode),
    workflowFile: z.string().trim().regex(/^[\w.-]+\.ya?ml$/, 'must be a workflow file name such as claude-implement.yml').optional(),
    planningWorkflowFile: z.string().trim().regex(/^[\w.-]+\.ya?ml$/, 'must be a workflow file name such as claude-plan.yml').optional(),
    machine: z
      .object({
        cpus: z.number().int().refine((n) => [1, 2, 4, 8, 16].includes(n), 'must be 1, 2, 4, 8 or 16'),
        memoryMb: z.number().int().min(256).max(65_536).refine((n) => n % 256 === 0, 'must be a multiple of 256, e.g. 2048'),
        image: z.string().trim().min(1).optional(),
      })
      .strict()
      .optional(),
    runnerImage: z.string().trim().refine(isImageReference, IMAGE_REFERENCE_RULE).optional(),
    agentRuntime: z.enum(AGENT_RUNTIMES).default(MAPPING_DEFAULTS.agentRuntime),
    provider: z.enum(MODEL_PROVIDERS).default(MAPPING_DEFAULTS.provider),
    awsRegion: z.string().trim().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as us-east-1').optional(),
    awsRoleArn: z
      .string()
      .trim()
      .regex(/^arn:aws(-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, 'must be an IAM role ARN such as arn:aws:iam::123456789012:role/ai-implement-bedrock')
      .optional(),
    awsRoleSessionDuration: z.number().int().min(900, 'must be at least 900 seconds (AWS minimum)').max(43_200, 'must be at most 43200 seconds (12 hours, the AWS maximum)').optional(),
    gcpWorkloadIdentityProvider: z
      .string()
      .trim()
      .regex(
        /^projects\/\d+\/locations\/global\/workloadIdentityPools\/[a-z0-9-]{4,32}\/providers\/[a-z0-9-]{4,32}$/,
        'must be a provider resource name: projects/<project number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>',
      )
      .optional(),
    gcpServiceAccount: z
      .string()
      .trim()
      .regex(/^[a-z0-9][a-z0-9._-]*@[a-z0-9.-]+\.gserviceaccount\.com$/, 'must be a service account email such as ai-implement@my-project.iam.gserviceaccount.com')
      .optional(),
    gcpProjectId: z.string().trim().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'must be a Google Cloud project id (6–30 lowercase letters, digits or hyphens)').optional(),
    vertexRegion: z.string().trim().regex(/^(global|[a-z]+-[a-z]+\d+)$/, 'must be a Vertex AI region such as us-east5, or global').optional(),
    models: z.partialRecord(z.enum(AGENT_RUNTIMES), z.string().trim().min(1).max(200)).optional(),
    fallbackRuntime: z.enum(AGENT_RUNTIMES).optional(),
    agentStallMinutes: positiveInt(240).optional(),
    maxInProgressAiIssues: positiveInt(100).default(MAPPING_DEFAULTS.maxInProgressAiIssues),
    maxTurns: positiveInt(1_000).optional(),
    maxIterations: positiveInt(20).optional(),
    maxJobMinutes: positiveInt(24 * 60).optional(),
    planningEnabled: z.boolean().default(false),
    autoApprovePlans: z.boolean().default(false),
    paused: z.boolean().default(false),
    budget: z
      .object({
        monthlyUsd: usd.optional(),
        perRunUsd: usd.optional(),
        perTicketUsd: usd.optional(),
      })
      .strict()
      .optional(),
    serviceLevels: z
      .object({
        firstModelRequestP95Minutes: z.number().positive('must be above 0 minutes, e.g. 5').max(24 * 60, 'must be at most 1440 minutes (a day), e.g. 5').optional(),
        timeToPrP95Minutes: z.number().positive('must be above 0 minutes, e.g. 60').max(7 * 24 * 60, 'must be at most 10080 minutes (a week), e.g. 60').optional(),
        minSuccessRate: share.optional(),
        minMergeRate: share.optional(),
        maxSpendPerMergedPrUsd: usd.optional(),
      })
      .strict()
      .optional(),
    doneState: z.string().trim().min(1).optional(),
    extraEnv: z
      .record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'has a name that is not UPPER_SNAKE_CASE; names are like "NODE_OPTIONS"'), z.string().max(4_096))
      .default({}),
  })
  .strict()
  .superRefine((m, ctx) => {
    if (m.provider === 'bedrock' && !m.awsRegion) {
      ctx.addIssue({ code: 'custom', path: ['awsRegion'], message: 'is required when provider is bedrock' });
    }
    if (m.provider !== 'bedrock') {
      for (const field of ['awsRoleArn', 'awsRoleSessionDuration'] as const) {
        if (m[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'belongs to the bedrock provider; set provider to "bedrock" or remove it' });
      }
    }
    if (m.awsRoleSessionDuration !== undefined && !m.awsRoleArn) {
      ctx.addIssue({ code: 'custom', path: ['awsRoleSessionDuration'], message: 'needs awsRoleArn (it is the length of the assumed role session)' });
    }
    if (m.provider !== 'vertex') {
      for (const field of ['gcpWorkloadIdentityProvider', 'gcpServiceAccount', 'gcpProjectId', 'vertexRegion'] as const) {
        if (m[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'belongs to the vertex provider; set provider to "vertex" or remove it' });
      }
    } else if (m.gcpWorkloadIdentityProvider) {
      if (!m.gcpProjectId) ctx.addIssue({ code: 'custom', path: ['gcpProjectId'], message: 'is required with gcpWorkloadIdentityProvider (the project that runs Vertex AI)' });
      if (!m.vertexRegion) ctx.addIssue({ code: 'custom', path: ['vertexRegion'], message: 'is required with gcpWorkloadIdentityProvider (e.g. us-east5, or global)' });
    }
    if (m.gcpServiceAccount && !m.gcpWorkloadIdentityProvider) {
      ctx.addIssue({ code: 'custom', path: ['gcpServiceAccount'], message: 'needs gcpWorkloadIdentityProvider (the federated identity impersonates it)' });
    }
    if (m.fallbackRuntime !== undefined && m.fallbackRuntime === m.agentRuntime) {
      ctx.addIssue({ code: 'custom', path: ['fallbackRuntime'], message: 'must differ from agentRuntime' });
    }
    if (m.trackerKind === 'jira' && !m.jira) {
      ctx.addIssue({ code: 'custom', path: ['jira', 'jql'], message: 'is required for a Jira project' });
    }
    if (m.trackerKind === 'linear' && m.jira) {
      ctx.addIssue({ code: 'custom', path: ['jira'], message: 'belongs to Jira projects; set trackerKind to "jira" or remove it' });
    }
  });

export type MappingInput = z.input<typeof mappingInputSchema>;

export type MappingValidationProblem = FieldProblem;

/** What each mapping field is for and a right value, for the sentences of `checkInput`. */
export const MAPPING_FIELD_HINTS: Readonly<Record<string, FieldHint>> = {
  teamKey: { about: 'the project key, usually the Linear team or Jira project key', example: '"WEB"' },
  owner: { about: 'the GitHub account that owns the repository', example: '"acme"' },
  repo: { about: 'the repository PRs are opened in', example: '"web-app"' },
  defaultBranch: { about: 'the branch PRs target', example: '"main"' },
  'linear.teamKey': { example: '"WEB"' },
  'linear.projectFilter': { example: '"Q3 roadmap"' },
  'linear.labelFilter': { example: '"AI-Implement"' },
  'jira.jql': { about: 'the JQL that selects the project’s tickets', example: '"project = OPS"' },
  'jira.repoFieldValue': { example: '"acme/web-app"' },
  workflowFile: { example: '"claude-implement.yml"' },
  planningWorkflowFile: { example: '"claude-plan.yml"' },
  machine: { example: '{ "cpus": 2, "memoryMb": 2048 }' },
  'machine.cpus': { about: 'CPUs of each Fly machine', example: '2' },
  'machine.memoryMb': { about: 'memory of each Fly machine in MB', example: '2048' },
  'machine.image': { example: '"ghcr.io/acme/runner:1.2.0"' },
  runnerImage: { example: '"ghcr.io/acme/runner:1.2.0"' },
  awsRegion: { example: '"us-east-1"' },
  awsRoleSessionDuration: { example: '3600' },
  models: { example: '{ "claude-code": "claude-sonnet-4-5" }' },
  'models.*': { example: '"claude-sonnet-4-5"' },
  agentStallMinutes: { example: `${MAPPING_DEFAULTS.agentStallMinutes}` },
  maxInProgressAiIssues: { example: `${MAPPING_DEFAULTS.maxInProgressAiIssues}` },
  maxTurns: { example: `${MAPPING_DEFAULTS.maxTurns}` },
  maxIterations: { example: `${MAPPING_DEFAULTS.maxIterationsAnthropic}` },
  maxJobMinutes: { example: `${MAPPING_DEFAULTS.maxJobMinutes}` },
  planningEnabled: { example: 'true' },
  autoApprovePlans: { example: 'false' },
  paused: { example: 'false' },
  budget: { about: 'spend limits in USD', example: '{ "perTicketUsd": 5, "monthlyUsd": 200 }' },
  'budget.monthlyUsd': { about: 'the project’s spend limit per calendar month (UTC), in USD', example: '200' },
  'budget.perRunUsd': { about: 'the spend limit of one run, in USD', example: '2' },
  serviceLevels: { about: 'alert thresholds of the service levels', example: '{ "timeToPrP95Minutes": 60, "minSuccessRate": 0.8 }' },
  'serviceLevels.firstModelRequestP95Minutes': { example: '5' },
  'serviceLevels.timeToPrP95Minutes': { example: '60' },
  'serviceLevels.minSuccessRate': { example: '0.8' },
  'serviceLevels.minMergeRate': { example: '0.5' },
  'serviceLevels.maxSpendPerMergedPrUsd': { example: '10' },
  'budget.perTicketUsd': { about: 'the spend limit of one ticket over all its runs (retries and review rounds included), in USD', example: '5' },
  doneState: { example: '"Done"' },
  extraEnv: { example: '{ "NODE_OPTIONS": "--max-old-space-size=4096" }' },
  'extraEnv.*': { example: '"--max-old-space-size=4096"' },
};

export type MappingParseResult = { ok: true; mapping: Mapping } | { ok: false; problems: MappingValidationProblem[] };

/** Validates an operator's mapping and fills in the defaults; `existing` keeps its createdAt. */
export function parseMapping(input: unknown, now: string, existing?: Mapping): MappingParseResult {
  const checked = checkInput(mappingInputSchema, input, { where: '(body)', hints: MAPPING_FIELD_HINTS });
  if (!checked.ok) return { ok: false, problems: checked.problems };
  const m = checked.data;
  const mapping: Mapping = {
    teamKey: m.teamKey,
    trackerKind: m.trackerKind,
    ...(m.trackerKind === 'linear' ? { linear: { ...m.linear, teamKey: m.linear?.teamKey ?? m.teamKey } } : {}),
    ...(m.jira ? { jira: { jql: m.jira.jql, repoFieldValue: m.jira.repoFieldValue ?? `${m.owner}/${m.repo}` } } : {}),
    owner: m.owner,
    repo: m.repo,
    defaultBranch: m.defaultBranch,
    executionMode: m.executionMode,
    workflowFile: m.workflowFile ?? MAPPING_DEFAULTS.workflowFile,
    planningWorkflowFile: m.planningWorkflowFile ?? MAPPING_DEFAULTS.planningWorkflowFile,
    ...(m.machine ? { machine: m.machine } : {}),
    ...(m.runnerImage ? { runnerImage: m.runnerImage } : {}),
    agentRuntime: m.agentRuntime,
    provider: m.provider,
    ...(m.awsRegion ? { awsRegion: m.awsRegion } : {}),
    ...(m.awsRoleArn ? { awsRoleArn: m.awsRoleArn } : {}),
    ...(m.awsRoleSessionDuration ? { awsRoleSessionDuration: m.awsRoleSessionDuration } : {}),
    ...(m.gcpWorkloadIdentityProvider ? { gcpWorkloadIdentityProvider: m.gcpWorkloadIdentityProvider } : {}),
    ...(m.gcpServiceAccount ? { gcpServiceAccount: m.gcpServiceAccount } : {}),
    ...(m.gcpProjectId ? { gcpProjectId: m.gcpProjectId } : {}),
    ...(m.vertexRegion ? { vertexRegion: m.vertexRegion } : {}),
    ...(m.models && Object.keys(m.models).length > 0 ? { models: m.models as Record<string, string> } : {}),
    ...(m.fallbackRuntime ? { fallbackRuntime: m.fallbackRuntime } : {}),
    ...(m.agentStallMinutes ? { agentStallMinutes: m.agentStallMinutes } : {}),
    maxInProgressAiIssues: m.maxInProgressAiIssues,
    maxTurns: m.maxTurns ?? MAPPING_DEFAULTS.maxTurns,
    maxIterations: m.maxIterations ?? (m.provider === 'bedrock' ? MAPPING_DEFAULTS.maxIterationsBedrock : MAPPING_DEFAULTS.maxIterationsAnthropic),
    maxJobMinutes: m.maxJobMinutes ?? MAPPING_DEFAULTS.maxJobMinutes,
    planningEnabled: m.planningEnabled,
    autoApprovePlans: m.autoApprovePlans,
    paused: m.paused,
    ...(m.budget && Object.keys(m.budget).length > 0 ? { budget: m.budget } : {}),
    ...(m.serviceLevels && Object.keys(m.serviceLevels).length > 0 ? { serviceLevels: m.serviceLevels } : {}),
    ...(m.doneState ? { doneState: m.doneState } : {}),
    extraEnv: m.extraEnv,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
  return { ok: true, mapping };
}
