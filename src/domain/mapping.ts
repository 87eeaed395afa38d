/** Which ticket system a mapping reads from. */
export type TrackerKind = 'linear' | 'jira';

/** Where a run's agent job executes. */
export type ExecutionMode = 'github-actions' | 'fly-machines' | 'local';

/**
 * Which model provider the agent talks to. Each runtime accepts some of them
 * (Claude Code: anthropic, bedrock, vertex; Codex: openai; Gemini CLI:
 * google, vertex; OpenCode: anthropic, openai; Cursor: cursor).
 */
export const MODEL_PROVIDERS = ['anthropic', 'bedrock', 'vertex', 'openai', 'google', 'cursor'] as const;
export type ModelProvider = (typeof MODEL_PROVIDERS)[number];

export interface LinearScope {
  teamKey: string;
  projectFilter?: string;
  labelFilter?: string;
}

export interface JiraScope {
  jql: string;
  repoFieldValue: string;
}

/**
 * Spend limits of a project in USD (each optional). `perTicketUsd` counts
 * every run of one ticket together: its attempts, retries, gap-fills and
 * review-feedback rounds. `monthlyUsd` is the project's calendar month (UTC).
 */
export interface MappingBudget {
  monthlyUsd?: number;
  perRunUsd?: number;
  perTicketUsd?: number;
}

/**
 * Alert thresholds of a project's service levels (each optional), judged on
 * the 24-hour window: a figure on the wrong side of its threshold is a breach
 * the Overview shows (domain/service-levels.ts).
 */
export interface ServiceLevelThresholds {
  /** p95 of trigger → the agent's first model request, in minutes. */
  firstModelRequestP95Minutes?: number;
  /** p95 of trigger → pull request, in minutes. */
  timeToPrP95Minutes?: number;
  /** Lowest share of finished runs that succeed (0–1). */
  minSuccessRate?: number;
  /** Lowest share of opened PRs that were merged (0–1). */
  minMergeRate?: number;
  /** Highest spend per merged PR, in USD. */
  maxSpendPerMergedPrUsd?: number;
}

export interface MachineSize {
  cpus: number;
  memoryMb: number;
  image?: string;
}

/**
 * A project: one ticketing scope mapped to one GitHub repository. Stored as
 * given; validation belongs to the config/API layer that accepts it.
 * Timestamps are ISO 8601 strings so the record is its own JSON form.
 */
export interface Mapping {
  teamKey: string;
  trackerKind: TrackerKind;
  linear?: LinearScope;
  jira?: JiraScope;
  owner: string;
  repo: string;
  defaultBranch: string;
  executionMode: ExecutionMode;
  workflowFile?: string;
  planningWorkflowFile?: string;
  machine?: MachineSize;
  /**
   * The runner image for this project (beats RUNNER_IMAGE; checked against
   * RUNNER_IMAGE_ALLOWLIST). Fly machines run it; on GitHub Actions the workflow
   * sync writes it into the repository's workflows. `machine.image` is its older spelling.
   */
  runnerImage?: string;
  agentRuntime: string;
  provider: ModelProvider;
  awsRegion?: string;
  /**
   * Bedrock without static keys: the IAM role a GitHub Actions job assumes with its OIDC token
   * (AssumeRoleWithWebIdentity). Not a secret; the role's trust policy decides who may assume it.
   */
  awsRoleArn?: string;
  /** How long the assumed role's credentials last, in seconds (900–43200; default: the job's length, at least an hour). */
  awsRoleSessionDuration?: number;
  /** Vertex without a key file: the workload identity provider (`projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>`). */
  gcpWorkloadIdentityProvider?: string;
  /** The service account the federated identity impersonates; without it the federated identity is used directly. */
  gcpServiceAccount?: string;
  /** The Google Cloud project that bills the Vertex calls. */
  gcpProjectId?: string;
  /** The Vertex AI region (`us-east5`, `europe-west1`, or `global`). */
  vertexRegion?: string;
  /** The model per runtime (`{ "claude-code": "claude-sonnet-4-5", "codex": "gpt-5.1-codex" }`); a runtime left out uses its vendor's default. */
  models?: Record<string, string>;
  /** The runtime a step is handed to when the agent's vendor keeps answering overloaded or the agent stalls. */
  fallbackRuntime?: string;
  /** An agent with no output and no change in the work tree for this long is stopped (default 10). */
  agentStallMinutes?: number;
  maxInProgressAiIssues: number;
  maxTurns: number;
  maxIterations: number;
  maxJobMinutes: number;
  planningEnabled: boolean;
  autoApprovePlans: boolean;
  paused: boolean;
  /** Spend limits; a run past one is stopped and its ticket paused (domain/budget.ts). */
  budget?: MappingBudget;
  /** Alert thresholds of the service levels on the Overview. */
  serviceLevels?: ServiceLevelThresholds;
  doneState?: string;
  extraEnv: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}
