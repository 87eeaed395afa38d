import type { Logger } from 'pino';
import type { Config, RegisterSecret } from '../config/index.js';
import type { RunBackend } from '../domain/run.js';
import type { GitHubAppClient } from '../github/api/github-app-client.js';
import { createRepoFilesApi } from '../github/api/repo-files-api.js';
import type { SettleDeps } from '../orchestrator/settle-run-outcome.js';
import { defaultRunnerRoots, readWorkflowTemplates, type RunnerRoots } from '../runner/index.js';
import { createFlyAppClient } from '../runners/fly/create-fly-app-client.js';
import type { RunnerBackend } from '../runners/runner-backend.js';
import type { Store } from '../store/store.js';
import type { Trackers } from '../trackers/create-trackers.js';
import { checkConfigStatus, type ConfigCheck } from './config-status.js';
import type { FlyAppClient } from '../runners/fly/fly-app-client.js';
import { listCustomizations, type Customization } from './list-customizations.js';
import { listPipelinesAndSteps, type PipelinesAndSteps } from './list-pipelines-and-steps.js';
import { Reaper } from './reaper.js';
import { createSecretBox } from './secret-box.js';
import { createSecretsService, type SecretsService } from './secrets-service.js';
import { createSessionsService, type SessionsService } from './sessions-service.js';
import { createWorkflowSync, type WorkflowSync } from './workflow-sync.js';

export interface OperationsDeps {
  config: Readonly<Config>;
  store: Store;
  log: Logger;
  clock: () => number;
  trackers: Trackers;
  github: GitHubAppClient | undefined;
  backends: Partial<Record<RunBackend, RunnerBackend>>;
  settle: SettleDeps;
  /** The Fly sessions app in effect (env, else setting, else default). */
  flySessionsApp: () => string;
  /** Where pipelines/, workflow-templates/ and custom/ are; the project root by default. */
  roots?: RunnerRoots;
  /** A ready Fly client (tests); built from the config otherwise. */
  fly?: FlyAppClient;
  /** The process's redactor, told of every secret value set through the API. */
  registerSecret?: RegisterSecret;
  /** False while another replica holds the leader lease: the reaper's timer then skips its sweep. */
  isLeader?: () => boolean;
}

/** The operator services behind the Platform and Developer panels; absent ones are not configured. */
export interface Operations {
  fly: FlyAppClient | undefined;
  sessions: SessionsService | undefined;
  secrets: SecretsService;
  workflowSync: WorkflowSync | undefined;
  reaper: Reaper;
  configStatus: () => Promise<ConfigCheck[]>;
  customizations: () => Promise<Customization[]>;
  pipelinesAndSteps: () => Promise<PipelinesAndSteps>;
}

/** Builds the operations services from what the composition root already holds. */
export function createOperations(deps: OperationsDeps): Operations {
  const { config, store, log, clock, trackers, github } = deps;
  const roots = deps.roots ?? defaultRunnerRoots();
  const fly =
    deps.fly ??
    (config.fly.apiToken
      ? createFlyAppClient({ client: { token: config.fly.apiToken, apiUrl: config.fly.apiUrl, graphqlUrl: config.fly.graphqlUrl }, app: deps.flySessionsApp })
      : undefined);
  const sessions = fly ? createSessionsService({ fly, store, trackers, settle: deps.settle, clock, log: log.child({ component: 'sessions' }) }) : undefined;
  const box = config.secretsEncryptionKey ? createSecretBox(config.secretsEncryptionKey, config.secretsEncryptionKeyPrevious) : undefined;
  const secrets = createSecretsService({ store, clock, box, ...(deps.registerSecret ? { registerSecret: deps.registerSecret } : {}) });
  const workflowSync = github
    ? createWorkflowSync({
        repoFiles: async (owner, repo) => createRepoFilesApi(await github.repoOctokit(owner, repo), owner, repo),
        templates: () => readWorkflowTemplates(roots.projectRoot),
        runnerImages: { image: config.runnerImage, allowlist: config.runnerImageAllowlist },
        store,
        clock,
        log: log.child({ component: 'workflow-sync' }),
      })
    : undefined;
  const reaper = new Reaper({ store, backends: deps.backends, trackers, settle: deps.settle, clock, log: log.child({ component: 'reaper' }), ...(deps.isLeader ? { isLeader: deps.isLeader } : {}) });

  return {
    fly,
    sessions,
    secrets,
    workflowSync,
    reaper,
    configStatus: () =>
      checkConfigStatus({
        facts: {
          linearConfigured: Boolean(config.linear.apiKey),
          jiraConfigured: Boolean(config.jira.host && config.jira.email && config.jira.apiToken),
          githubAppConfigured: Boolean(github),
          runnerTokenSecret: Boolean(config.runnerTokenSecret),
          runnerCallbackBaseUrl: config.runnerCallbackBaseUrl,
          gapFillTriggerSecret: Boolean(config.gapFillTriggerSecret),
          flyConfigured: Boolean(fly),
          sandbox: config.sandbox,
        },
        store,
        trackers,
        ...(github ? { reachableRepos: () => github.reachableRepos() } : {}),
        ...(fly ? { probeFly: async () => void (await fly.listSecrets()) } : {}),
      }),
    customizations: () => listCustomizations(roots),
    pipelinesAndSteps: () => listPipelinesAndSteps(roots),
  };
}
