/** Which ticket system a mapping reads from. */
export type TrackerKind = 'linear' | 'jira';

/** Where a run's agent job executes. */
export type ExecutionMode = 'github-actions' | 'fly-machines' | 'local';

/** Which model provider the agent talks to. */
export type ModelProvider = 'anthropic' | 'bedrock';

export interface LinearScope {
  teamKey: string;
  projectFilter?: string;
  labelFilter?: string;
}

export interface JiraScope {
  jql: string;
  repoFieldValue: string;
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
  agentRuntime: string;
  provider: ModelProvider;
  awsRegion?: string;
  maxInProgressAiIssues: number;
  maxTurns: number;
  maxIterations: number;
  maxJobMinutes: number;
  planningEnabled: boolean;
  autoApprovePlans: boolean;
  paused: boolean;
  doneState?: string;
  extraEnv: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}
