import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Router } from 'express';
import type { Config, SecretRegistry } from './config/index.js';
import { readRunnerMode, readSettings, type RuntimeEnv } from './admin/runtime-settings.js';
import { DEFAULT_FLY_SESSIONS_APP } from './domain/settings-keys.js';
import type { Mapping } from './domain/mapping.js';
import type { PlanPolicy } from './domain/plan-dispatch.js';
import { GitHubAppClient } from './github/github-app-client.js';
import { createGitHubIntegration } from './github/create-github-integration.js';
import { createTriggerRoutes } from './http/trigger-routes.js';
import { createRunnerRoutes } from './http/runner-routes.js';
import { createTrackerWebhookRoutes } from './http/tracker-webhook-routes.js';
import type { Logger } from './logging/create-logger.js';
import { dispatchRun, type DispatchDeps } from './orchestrator/dispatch-run.js';
import { dispatchDueRuns } from './orchestrator/dispatch-due-runs.js';
import { createRunFinisher } from './orchestrator/finish-run.js';
import { InboxWorker } from './orchestrator/inbox-worker.js';
import { runIntakeCycle, type IntakeCycleResult, type IntakeDeps } from './orchestrator/intake-cycle.js';
import { createJobSpecBuilder } from './orchestrator/job-spec.js';
import { createOidcExchange, GITHUB_ACTIONS_ISSUER } from './orchestrator/oidc-exchange.js';
import { createPendingTicketWrites } from './orchestrator/pending-ticket-writes.js';
import { Poller } from './orchestrator/poller.js';
import type { RequestLoad } from './http/request-load.js';
import { createProgressRecorder, createRunStatusPublisher } from './orchestrator/record-progress.js';
import { createRunnerTokens, type RunnerTokens } from './orchestrator/runner-tokens.js';
import { settleRunOutcome, type SettleDeps } from './orchestrator/settle-run-outcome.js';
import { settleLostRunner } from './orchestrator/settle-lost-runner.js';
import { jiraTicketOf, linearTicketOf, ticketEventHandler } from './orchestrator/tracker-event-handlers.js';
import { findProjectRoot } from './package-info.js';
import { createBackends } from './runners/create-backends.js';
import { createOperations, type Operations } from './operations/create-operations.js';
import { createOperationsApiModules } from './http/api/operations-routes.js';
import type { ApiRouteModule } from './http/api/api-operation.js';
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
  /** Requests in flight; the inbox worker steps aside while the server is busy. */
  load?: RequestLoad;
}

/** Everything behind the HTTP routes and the background loops, built once. */
export interface Services {
  trackers: Trackers;
  github: GitHubAppClient | undefined;
  tokens: RunnerTokens | undefined;
  routers: Router[];
  /** Sessions, reaper, secrets and operations `/api` modules, for the `/api` guard to mount. */
  apiModules: ApiRouteModule[];
  operations: Operations;
  inbox: InboxWorker;
  /** Created by `startLoops` once the server's URL is known. */
  poller?: Poller;
  startLoops: (orchestratorUrl: string) => void;
  stopLoops: () => Promise<void>;
}

/** The runner CLI for local runs: compiled when this process is, from source under tsx otherwise. */
export function localRunnerCommand(root = findProjectRoot()): string[] {
  const compiled = fileURLToPath(import.meta.url).endsWith('.js');
  return compiled ? [process.execPath, join(root, 'dist', 'src', 'runner', 'cli.js')] : [process.execPath, '--import', 'tsx', join(root, 'src', 'runner', 'cli.ts')];
}

export function createServices(input: ServicesInput): Services {
  const { config, store, log, secrets, clock } = input;
  const redact = (text: string) => secrets.redact(text);

  const trackers = createTrackers({
    ...(config.linear.apiKey ? { linear: { apiKey: config.linear.apiKey, apiUrl: config.linear.apiUrl, ...(config.linear.agentUserId ? { agentUserId: config.linear.agentUserId } : {}) } } : {}),
    ...(config.jira.host && config.jira.email && config.jira.apiToken ? { jira: { host: config.jira.host, email: config.jira.email, apiToken: config.jira.apiToken } } : {}),
    log,
  });
  const settleDeps: SettleDeps = { store, trackers, clock, log: log.child({ component: 'settle' }), retryLimit: DEFAULT_RETRY_LIMIT, dedupWindowMs: config.dedupWindowHours * 3_600_000 };
  const github =
    config.github.appId && config.github.privateKey
      ? new GitHubAppClient({ appId: config.github.appId, privateKey: config.github.privateKey, baseUrl: config.github.baseUrl, log: log.child({ component: 'github' }), clock })
      : undefined;
  const tokens = config.runnerTokenSecret
    ? createRunnerTokens({
        secrets: { current: { secret: config.runnerTokenSecret }, ...(config.runnerTokenSecretPrevious ? { previous: { secret: config.runnerTokenSecretPrevious } } : {}) },
        clock,
      })
    : undefined;

  // The same precedence (environment, then stored, then default) the admin API reports.
  const runtimeEnv: RuntimeEnv = { runnerModeOverride: config.runnerModeOverride, flySessionsApp: config.fly.sessionsApp, flySessionsRegion: config.fly.sessionsRegion };
  let flySessionsApp = config.fly.sessionsApp ?? DEFAULT_FLY_SESSIONS_APP;
  let flySessionsRegion = config.fly.sessionsRegion;
  const refreshFlySettings = async () => {
    const settings = await readSettings(store.settings, runtimeEnv);
    flySessionsApp = settings.flySessionsApp.runtime ?? DEFAULT_FLY_SESSIONS_APP;
    flySessionsRegion = settings.flySessionsRegion.runtime ?? undefined;
  };
  const runnerMode = async (): Promise<PlanPolicy['runnerMode']> => (await readRunnerMode(store.settings, runtimeEnv)).effective;

  const backends = createBackends({
    ...(github
      ? {
          github: {
            getOctokit: (owner: string, repo: string) => github.repoOctokit(owner, repo),
            repos: async () => (await store.mappings.list()).map((m) => ({ owner: m.owner, repo: m.repo })),
            log,
          },
        }
      : {}),
    ...(config.fly.apiToken
      ? {
          fly: {
            client: { token: config.fly.apiToken, apiUrl: config.fly.apiUrl, graphqlUrl: config.fly.graphqlUrl },
            app: () => flySessionsApp,
            region: () => flySessionsRegion,
            image: config.runnerImage,
            log,
          },
        }
      : {}),
    local: {
      command: localRunnerCommand(),
      log,
      now: clock,
      onExit: (exit) => {
        const reason = exit.stopReason === 'deadline' ? 'was stopped at its deadline' : `exited with ${exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`}`;
        settleLostRunner(settleDeps, { runId: exit.runId, upstreamId: exit.upstreamId, reason, cancelled: exit.stopReason === 'cancel' }).catch((error: unknown) =>
          log.error({ err: error, runId: exit.runId }, 'could not settle a runner that exited'),
        );
      },
    },
  });
  const operations = createOperations({ config, store, log, clock, trackers, github, backends, settle: settleDeps, flySessionsApp: () => flySessionsApp });
  const pending = createPendingTicketWrites({ store, trackers, clock, log });
  const publisher = createRunStatusPublisher({ store, trackers, clock, log, redact });
  const progress = createProgressRecorder({ store, publisher, clock, log, redact });
  const finisher = createRunFinisher({ store, pending, publisher, clock, log, redact, afterFinish: (run) => settleRunOutcome(settleDeps, run) });
  const envFor = (mapping: Mapping) => ({ ...mapping.extraEnv });
  // The Probot app (webhooks from the inbox), review-feedback batching and /trigger/gap-fill.
  const githubApp = createGitHubIntegration({ store, trackers, clock, log, github, settle: settleDeps, backends, runnerMode });
  const jobSpecs = createJobSpecBuilder({
    store,
    trackers,
    clock,
    github: { apiUrl: config.github.baseUrl, webUrl: input.gitWebUrl },
    mintRepoToken: async (owner, repo) => {
      if (!github) throw new Error('GitHub App credentials are not configured');
      return github.repoToken(owner, repo);
    },
    envFor,
    reviewCommentsFor: githubApp.reviewCommentsFor,
  });
  const oidcAudience = config.runnerCallbackBaseUrl;
  const oidc =
    tokens && oidcAudience
      ? createOidcExchange({ store, tokens, clock, issuer: config.sandbox ? config.github.baseUrl.replace(/\/api\/v3$/, '') : GITHUB_ACTIONS_ISSUER, audience: oidcAudience })
      : undefined;

  let poller: Poller | undefined;
  const load = input.load;
  const inbox = new InboxWorker({
    store,
    // A burst of webhooks is acknowledged first and handled right after (at most 2 s later).
    ...(load ? { busy: () => load.saturated() } : {}),
    log: log.child({ component: 'inbox' }),
    clock,
    handlers: {
      linear: ticketEventHandler(linearTicketOf, (ref) => poller?.requestEvaluation(ref)),
      jira: ticketEventHandler(jiraTicketOf, (ref) => poller?.requestEvaluation(ref)),
      ...(githubApp.handler ? { github: githubApp.handler } : {}),
    },
  });

  const routers = [
    createTrackerWebhookRoutes({
      linearSecret: config.linear.webhookSecret,
      jiraSecret: config.jira.webhookSecret,
      enqueue: (delivery) => store.inbox.enqueueDelivery(delivery),
      notify: () => inbox.notify(),
      clock,
    }),
    createRunnerRoutes({ tokens, progress, finisher, jobSpecs, ...(oidc ? { oidc } : {}) }),
    createTriggerRoutes({ secret: config.gapFillTriggerSecret, gapFill: githubApp.trigger }),
  ];

  const services: Services = {
    trackers,
    github,
    tokens,
    routers,
    apiModules: createOperationsApiModules(operations, { store, clock }),
    operations,
    inbox,
    startLoops: (orchestratorUrl) => {
      // Without a token secret a runner could never report back: nothing is dispatched at all.
      const dispatchDeps: DispatchDeps | undefined = tokens && {
        store,
        backends,
        tokens,
        clock,
        log: log.child({ component: 'dispatch' }),
        orchestratorUrl: config.runnerCallbackBaseUrl ?? orchestratorUrl,
        // Names only (Fly delivers the values): which app secrets a run keeps, unprefixes or drops.
        // Only a Fly machine of the sessions app sees the app's secrets; other backends need no plan
        // (and must not wait on Fly's API).
        secretsFor: async (mapping, backend) => (backend === 'fly-machines' && operations.secrets ? operations.secrets.secretsEnvFor(mapping) : {}),
        inFlight: new Set<string>(),
      };
      const dispatch = async (runId: string) => {
        if (!dispatchDeps) return;
        const outcome = await dispatchRun(dispatchDeps, runId);
        if (outcome.kind === 'failed') await settleRunOutcome(settleDeps, outcome.run);
      };
      const intake: IntakeDeps = {
        store,
        trackers,
        runnerMode,
        retryLimit: DEFAULT_RETRY_LIMIT,
        clock,
        log: log.child({ component: 'intake' }),
        dedupWindowMs: config.dedupWindowHours * 3_600_000,
        dispatch,
        trackerPausedUntil: new Map(),
        ...(dispatchDeps ? {} : { dispatchDisabled: 'RUNNER_TOKEN_SECRET is not set' }),
        runUrl: (runId) => `${orchestratorUrl}/admin/runs/${encodeURIComponent(runId)}`,
      };
      poller = new Poller({
        intervalMs: config.pollIntervalMs,
        log: log.child({ component: 'poller' }),
        runCycle: async (request): Promise<IntakeCycleResult> => {
          await refreshFlySettings();
          const result = await runIntakeCycle(intake, request);
          if (!request.only) await maintain(store, dispatchDeps, settleDeps, pending, log);
          return result;
        },
      });
      services.poller = poller;
      githubApp.start(dispatch);
      inbox.start();
      poller.start();
      operations.reaper.start();
    },
    stopLoops: async () => {
      githubApp.stop();
      await Promise.all([poller?.stop(), inbox.stop(), operations.reaper.stop()]);
    },
  };
  if (!tokens) log.warn('RUNNER_TOKEN_SECRET is not set: runner callbacks answer 501 and runs cannot be dispatched');
  return services;
}

/** Housekeeping after each full cycle: re-dispatch due runs, retry ticket writes, purge expired rows. */
async function maintain(
  store: Store,
  dispatchDeps: DispatchDeps | undefined,
  settleDeps: SettleDeps,
  pending: ReturnType<typeof createPendingTicketWrites>,
  log: Logger,
): Promise<void> {
  try {
    if (dispatchDeps) {
      const pass = await dispatchDueRuns(dispatchDeps);
      for (const outcome of [...pass.reconciled, ...pass.dispatched]) if (outcome.kind === 'failed') await settleRunOutcome(settleDeps, outcome.run);
    }
    await pending.retryPendingTicketWrites();
    await Promise.all([store.dedup.purgeExpired(), store.inbox.purgeExpired(), store.tokens.purgeExpired(), store.adminSessions.purgeExpired()]);
  } catch (error) {
    log.error({ err: error }, 'maintenance after the intake cycle failed');
  }
}
