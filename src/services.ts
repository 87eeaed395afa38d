import { existsSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config, SecretRegistry } from './config/index.js';
import { createRunActions, type RunActions } from './admin/run-actions.js';
import { LiveSettings } from './admin/runtime-settings.js';
import { GitHubAppClient } from './github/api/github-app-client.js';
import { createGitHubIntegration, type GitHubIntegration } from './github/create-github-integration.js';
import type { RequestLoad } from './http/request-load.js';
import type { RunnerRoutesDeps } from './http/runner-routes.js';
import type { Logger } from './logging/create-logger.js';
import { createRunEndAnnouncer } from './orchestrator/announce-run-end.js';
import { createRunFinisher } from './orchestrator/finish-run.js';
import { InboxWorker } from './orchestrator/inbox-worker.js';
import { createJobSpecBuilder } from './orchestrator/job-spec.js';
import { createOidcExchange } from './orchestrator/oidc-exchange.js';
import { createPendingTicketWrites } from './orchestrator/pending-ticket-writes.js';
import { createProgressRecorder, createRunStatusPublisher } from './orchestrator/record-progress.js';
import { createBudgetGuard, type BudgetGuard } from './orchestrator/budget-guard.js';
import { createResumeTicket, type ResumedTicket } from './admin/resume-ticket.js';
import { createRunSecretsHandout } from './orchestrator/hand-out-secrets.js';
import { createGitHubTokenRefresher } from './orchestrator/refresh-github-token.js';
import { Leadership } from './orchestrator/leadership.js';
import { SharedKeyedLock } from './orchestrator/shared-keyed-lock.js';
import { RunLoop } from './orchestrator/run-loop.js';
import { createRunnerTokens, type RunnerTokens } from './orchestrator/runner-tokens.js';
import { settleRunOutcome, type SettleDeps } from './orchestrator/settle-run-outcome.js';
import { settleExitedRunner } from './orchestrator/settle-lost-runner.js';
import { jiraTicketOf, linearTicketOf, ticketEventHandler } from './orchestrator/tracker-event-handlers.js';
import { findProjectRoot } from './package-info.js';
import { createBackends } from './runners/create-backends.js';
import { LOCAL_AGENTS_PREFIX } from './runner/agents/agents-manifest.js';
import { createOperations, type Operations } from './operations/create-operations.js';
import { ScheduleTicker } from './orchestrator/schedule-ticker.js';
import { createScheduleCommands, type ScheduleCommands } from './admin/schedule-commands.js';
import type { Coordination } from './store/coordination.js';
import type { Store } from './store/store.js';
import { createTrackers, type Trackers } from './trackers/create-trackers.js';

export const DEFAULT_RETRY_LIMIT = 2;

export interface ServicesInput {
  config: Readonly<Config>;
  store: Store;
  log: Logger;
  secrets: SecretRegistry;
  clock: () => number;
  /** Where clone URLs point: https://github.com, or the sandbox's local git root. */
  gitWebUrl: string;
  /** The GitHub web root pull requests live under (https://github.com, the GHE host, the emulator). */
  githubWebUrl: string;
  /** Requests in flight; the inbox worker steps aside while the server is busy. */
  load?: RequestLoad;
  /** The replicas' leader lease and broadcasts (in-process with the embedded store). */
  coordination: Coordination;
}

/** Everything behind the HTTP routes and the background loops, built whole, once. */
export interface Services {
  trackers: Trackers;
  github: GitHubAppClient | undefined;
  tokens: RunnerTokens | undefined;
  operations: Operations;
  inbox: InboxWorker;
  runLoop: RunLoop;
  /** Whether this replica runs the periodic jobs (always, with the embedded store). */
  leadership: Leadership;
  /** Stop, retry and delete of one run: the `/api/runs/:id/…` routes and the run page's buttons. */
  runActions: RunActions;
  /** Spend limits: sums, checks, and the tickets they paused. */
  budget: BudgetGuard;
  /** An operator's resume of a ticket a spend limit paused. */
  resumeTicket: (ticket: string, actor: string) => Promise<ResumedTicket>;
  githubApp: GitHubIntegration;
  /** Fires due schedules (on the leader only); `tick()` fires what is due now. */
  scheduleTicker: ScheduleTicker;
  /** Create, change, delete and fire schedules: `/api/schedules` and the Schedules panel. */
  schedules: ScheduleCommands;
  /** What the runner callback routes (`/runner/*`) call. */
  runner: RunnerRoutesDeps;
  /** Sets the loops going once the server listens (its URL is where runners call back by default). */
  /** Re-seals after a key rotation, moves credentials out of plain extraEnv and teaches the redactor every stored value. */
  prepareSecrets: () => Promise<void>;
  start: (listenUrl: string) => void;
  stop: () => Promise<void>;
}

/** The runner CLI for local runs: compiled when this process is, from source under tsx otherwise. */
export function localRunnerCommand(root = findProjectRoot()): string[] {
  const compiled = fileURLToPath(import.meta.url).endsWith('.js');
  return compiled ? [process.execPath, join(root, 'dist', 'src', 'runner', 'cli.js')] : [process.execPath, '--import', 'tsx', join(root, 'src', 'runner', 'cli.ts')];
}

/**
 * What a local runner starts with: PATH and HOME only (the server's own
 * environment holds its secrets), and on PATH the agent CLIs that
 * `npm run agents:install` pinned, when they are installed, after what the
 * operator's own PATH already offers.
 */
export function localRunnerEnv(root = findProjectRoot(), env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const agentsBin = join(root, LOCAL_AGENTS_PREFIX, 'bin');
  const path = [...(env.PATH ? [env.PATH] : []), ...(existsSync(agentsBin) ? [agentsBin] : [])].join(delimiter);
  return { PATH: path, ...(env.HOME ? { HOME: env.HOME } : {}) };
}

/** Builds and wires every service; nothing here runs at request time, and nothing is bound later. */
export function createServices(input: ServicesInput): Services {
  const { config, store, log, secrets, clock } = input;
  const redact = (text: string) => secrets.redact(text);
  const dedupWindowMs = config.dedupWindowHours * 3_600_000;

  const trackers = createTrackers({
    ...(config.linear.apiKey ? { linear: { apiKey: config.linear.apiKey, apiUrl: config.linear.apiUrl, now: clock, ...(config.linear.agentUserId ? { agentUserId: config.linear.agentUserId } : {}) } } : {}),
    ...(config.jira.host && config.jira.email && config.jira.apiToken ? { jira: { host: config.jira.host, email: config.jira.email, apiToken: config.jira.apiToken, now: clock } } : {}),
    log,
    redact,
  });
  const pending = createPendingTicketWrites({ store, trackers, clock, log });
  const publisher = createRunStatusPublisher({ store, trackers, clock, log, redact });
  const announceEnd = createRunEndAnnouncer({ store, pending, publisher, redact });
  const settle: SettleDeps = {
    store,
    trackers,
    clock,
    log: log.child({ component: 'settle' }),
    retryLimit: DEFAULT_RETRY_LIMIT,
    dedupWindowMs,
    announceEnd,
  };
  const github =
    config.github.appId && config.github.privateKey
      ? new GitHubAppClient({ appId: config.github.appId, privateKey: config.github.privateKey, baseUrl: config.github.baseUrl, log: log.child({ component: 'github' }), clock, registerSecret: secrets.register })
      : undefined;
  const tokens = config.runnerTokenSecret
    ? createRunnerTokens({
        secrets: { current: { secret: config.runnerTokenSecret }, ...(config.runnerTokenSecretPrevious ? { previous: { secret: config.runnerTokenSecretPrevious } } : {}) },
        clock,
        registerSecret: secrets.register,
      })
    : undefined;
  // The same precedence (environment, then stored, then default) the admin API reports.
  const settings = new LiveSettings(store.settings, { runnerModeOverride: config.runnerModeOverride, flySessionsApp: config.fly.sessionsApp, flySessionsRegion: config.fly.sessionsRegion });

  const backends = createBackends({
    ...(github
      ? {
          github: {
            getOctokit: github.repoOctokit,
            repos: async () => (await store.mappings.list()).map((m) => ({ owner: m.owner, repo: m.repo })),
            log,
            now: clock,
          },
        }
      : {}),
    ...(config.fly.apiToken
      ? {
          fly: {
            client: { token: config.fly.apiToken, apiUrl: config.fly.apiUrl, graphqlUrl: config.fly.graphqlUrl },
            app: settings.flySessionsApp,
            region: settings.flySessionsRegion,
            image: config.runnerImage,
            imageAllowlist: config.runnerImageAllowlist,
            log,
          },
        }
      : {}),
    // Workspaces live in the data directory, so a restart finds what a crash left and removes it.
    local: {
      command: localRunnerCommand(),
      baseEnv: localRunnerEnv(),
      log,
      now: clock,
      onExit: settleExitedRunner(settle),
      workspaceRoot: resolve(config.dataDir, 'workspaces'),
    },
  });
  const leadership = new Leadership({ coordination: input.coordination, log: log.child({ component: 'leadership' }), ttlMs: config.leaderLease.ttlMs, renewMs: config.leaderLease.renewMs });
  const operations = createOperations({
    config,
    store,
    log,
    clock,
    trackers,
    github,
    backends,
    settle,
    flySessionsApp: settings.flySessionsApp,
    registerSecret: secrets.register,
    isLeader: () => leadership.isLeader,
  });
  // The guard stops runs through the operator's stop command, which is built after the run loop it needs.
  let stopForBudget: ((runId: string, reason: string) => Promise<unknown>) | undefined;
  const budget = createBudgetGuard({ store, clock, log: log.child({ component: 'budget' }), pending, stopRun: () => stopForBudget });
  const runLoop = new RunLoop({
    budget,
    store,
    trackers,
    backends,
    tokens,
    settings,
    settle,
    pending,
    clock,
    log,
    pollIntervalMs: config.pollIntervalMs,
    dedupWindowMs,
    retryLimit: DEFAULT_RETRY_LIMIT,
    ownerFallback: config.runOwnerFallback,
    callbackBaseUrl: config.runnerCallbackBaseUrl,
    secrets: operations.secrets,
    leadership,
    replicaId: input.coordination.replicaId,
    dispatchLeaseMs: config.dispatch.leaseMs,
    dispatchBackoffMs: config.dispatch.retryBackoffMs,
  });
  const scheduleTicker = new ScheduleTicker({ store, trackers, clock, log: log.child({ component: 'schedules' }), startRun: runLoop.startRun, isLeader: () => leadership.isLeader });
  const schedules = createScheduleCommands({ store, trackers, clock, log: log.child({ component: 'schedules' }), ticker: scheduleTicker });
  const runActions = createRunActions({ store, trackers, backends, clock, log: log.child({ component: 'run-actions' }), startRun: runLoop.startRun, announceEnd, pending });
  stopForBudget = (runId, reason) => runActions.stop(runId, 'orchestrator', reason);
  const resumeTicket = createResumeTicket({ store, trackers, budget, clock, log: log.child({ component: 'budget' }), requestEvaluation: runLoop.requestEvaluation });
  // The Probot app (webhooks from the inbox), review-feedback batching and /trigger/gap-fill.
  // One lock for both read-modify-written settings, held across replicas through the coordination's leases.
  const locks = new SharedKeyedLock({ coordination: input.coordination });
  const githubApp = createGitHubIntegration({ store, trackers, clock, log, github, settle, backends, startRun: runLoop.startRun, redact, locks });
  const load = input.load;
  const inbox = new InboxWorker({
    store,
    // A burst of webhooks is acknowledged first and handled right after (at most 2 s later).
    ...(load ? { busy: () => load.saturated() } : {}),
    log: log.child({ component: 'inbox' }),
    clock,
    handlers: {
      linear: ticketEventHandler(linearTicketOf, runLoop.evaluateTicket),
      jira: ticketEventHandler(jiraTicketOf, runLoop.evaluateTicket),
      ...(githubApp.handler ? { github: githubApp.handler } : {}),
    },
  });

  const mintRepoToken = async (owner: string, repo: string) => {
    if (!github) throw new Error('GitHub App credentials are not configured');
    return github.repoTokenGrant(owner, repo);
  };
  const jobSpecs = createJobSpecBuilder({
    store,
    trackers,
    clock,
    github: { apiUrl: config.github.baseUrl, webUrl: input.gitWebUrl },
    mintRepoToken,
    envFor: (mapping) => ({ ...mapping.extraEnv }),
    reviewCommentsFor: githubApp.reviewCommentsFor,
    registerSecret: secrets.register,
  });
  const oidc =
    tokens && config.runnerCallbackBaseUrl
      ? createOidcExchange({ store, tokens, clock, issuer: config.github.actionsOidcIssuer, audience: config.runnerCallbackBaseUrl })
      : undefined;
  const runner: RunnerRoutesDeps = {
    tokens,
    progress: createProgressRecorder({ store, publisher, clock, log, redact, budget }),
    finisher: createRunFinisher({ store, pending, publisher, clock, log, redact, githubWebUrl: input.githubWebUrl, afterFinish: (run) => settleRunOutcome(settle, run) }),
    jobSpecs,
    ...(oidc ? { oidc } : {}),
    // Long runs outlive their first installation token (an hour); they ask here for the next one.
    runSecrets: createRunSecretsHandout({ store, log: log.child({ component: 'secrets' }), valuesFor: (mapping) => operations.secrets.valuesFor(mapping) }),
    ...(github ? { githubTokens: createGitHubTokenRefresher({ store, log: log.child({ component: 'github-tokens' }), mintRepoToken, registerSecret: (value) => secrets.register(value) }) } : {}),
  };

  if (!tokens) log.warn('RUNNER_TOKEN_SECRET is not set: runner callbacks answer 501 and runs cannot be dispatched');
  return {
    trackers,
    github,
    tokens,
    operations,
    inbox,
    runLoop,
    leadership,
    runActions,
    budget,
    resumeTicket,
    githubApp,
    scheduleTicker,
    schedules,
    runner,
    prepareSecrets: async () => {
      const report = await operations.secrets.prepare();
      const secretsLog = log.child({ component: 'secrets' });
      if (report.resealed > 0) secretsLog.info({ resealed: report.resealed }, 'secrets re-sealed with the new SECRETS_ENCRYPTION_KEY');
      if (report.movedFromExtraEnv.length > 0) secretsLog.warn({ moved: report.movedFromExtraEnv }, 'credential values moved from mapping extraEnv into the secrets broker');
      if (report.unreadable.length > 0) {
        secretsLog.error({ unreadable: report.unreadable }, 'secrets that open with neither SECRETS_ENCRYPTION_KEY nor SECRETS_ENCRYPTION_KEY_PREVIOUS; runs that need them will not start until they are set again');
      }
    },
    start: (listenUrl) => {
      // First: the run loop waits for the first try at the lease before it recovers anything.
      void leadership.start();
      runLoop.start(listenUrl);
      githubApp.start();
      inbox.start();
      operations.reaper.start();
      scheduleTicker.start();
    },
    stop: async () => {
      githubApp.stop();
      await Promise.all([runLoop.stop(), inbox.stop(), operations.reaper.stop(), scheduleTicker.stop()]);
      // Last, once no periodic job runs here any more: another replica may take over at once.
      await leadership.stop();
    },
  };
}
