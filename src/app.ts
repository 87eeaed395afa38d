import type { DestinationStream } from 'pino';
import { SecretRegistry, isSandboxEnv, loadConfig, type Config } from './config/index.js';
import { chooseLogFormat } from './logging/choose-log-format.js';
import { createLogger, type Logger } from './logging/create-logger.js';
import { createHttpApp } from './http/create-http-app.js';
import { createRoutes } from './http/create-routes.js';
import { HttpMetrics } from './http/http-metrics.js';
import { registerDomainMetrics } from './http/domain-metrics.js';
import { RequestLoad } from './http/request-load.js';
import { startHttpServer, type StartedServer } from './http/start-http-server.js';
import { startSandbox, type Sandbox } from './sandbox/start-sandbox.js';
import type { Store } from './store/store.js';
import { createLowdbStore } from './store/lowdb/create-lowdb-store.js';
import { createPostgresStore } from './store/postgres/create-postgres-store.js';
import { createPgCoordination } from './store/postgres/pg-coordination.js';
import { LocalCoordination } from './store/local-coordination.js';
import { RUN_CHANGED_CHANNEL, type Coordination } from './store/coordination.js';
import { announceRunChanges } from './store/announce-run-changes.js';
import type { RunChangeFeed } from './http/admin/routes/run-events-route.js';
import { redactRunRecords } from './store/redact-run-records.js';
import { readPackageVersion } from './package-info.js';
import { startBanner } from './start-banner.js';
import { createServices, type Services } from './services.js';
import { resolve } from 'node:path';
import { AdminAuth } from './admin/auth/admin-auth.js';
import { SharedLoginThrottle } from './admin/auth/shared-login-throttle.js';
import { createJiraAdmin } from './trackers/jira/index.js';
import { defaultRunnerRoots, readWorkflowTemplates } from './runner/index.js';
import { renderWorkflowTemplate } from './operations/render-workflow-template.js';

export interface StartOrchestratorOptions {
  env: Record<string, string | undefined>;
  /** Log lines go here (stdout when unset). */
  logDestination?: DestinationStream;
  /** The startup banner goes here, whatever LOG_LEVEL says (stdout when unset). */
  print?: (text: string) => void;
  clock?: () => number;
}

export interface RunningOrchestrator {
  config: Readonly<Config>;
  log: Logger;
  store: Store;
  url: string;
  adminUrl: string;
  sandbox: Sandbox | undefined;
  services: Services;
  /** The leader lease and broadcasts this replica shares with the others (in-process without DATABASE_URL). */
  coordination: Coordination;
  stop: () => Promise<void>;
}

/**
 * The composition root: config → logger → store → adapters → services → http.
 * Nothing below this reads the environment or builds its own clients.
 */
export async function startOrchestrator(options: StartOrchestratorOptions): Promise<RunningOrchestrator> {
  const clock = options.clock ?? Date.now;
  const version = readPackageVersion();
  const print = options.print ?? ((text: string) => process.stdout.write(`${text}\n`));
  const secrets = new SecretRegistry({ clock });
  const sandboxMode = isSandboxEnv(options.env);
  const sandbox = sandboxMode ? await startSandbox() : undefined;
  let server: StartedServer | undefined;
  let store: Store | undefined;
  let services: Services | undefined;
  let coordination: Coordination | undefined;
  // Shutdown order: stop the loops (and give up the leader lease), stop taking requests, release the store, then the emulators.
  const shutdown = () =>
    runAll([() => services?.stop(), () => server?.close(), () => coordination?.close(), () => (store?.isOpen ? store.close() : undefined), () => sandbox?.stop()]);

  try {
    // Emulator credentials and generated secrets fill only what the operator left unset.
    const env = sandbox ? { ...sandbox.envFor(options.env), ...definedOnly(options.env) } : options.env;
    const config = loadConfig(env, { secrets, sandbox: sandboxMode, version });
    // A destination passed in (a test's stream) is no terminal, whatever stdout is.
    const logFormat = chooseLogFormat({ requested: config.logFormat, production: config.production, isTTY: !options.logDestination && process.stdout.isTTY === true });
    const log = createLogger({
      level: config.logLevel,
      format: logFormat,
      secrets,
      ...(options.logDestination ? { destination: options.logDestination } : {}),
    });

    // DATABASE_URL picks PostgreSQL (any number of replicas); otherwise the embedded store under DATA_DIR (one writer).
    const storeLog = log.child({ component: 'store' });
    const ledger = config.databaseUrl
      ? createPostgresStore({ connectionString: config.databaseUrl, clock, onConnectionError: (err) => storeLog.warn({ err }, 'idle PostgreSQL connection failed; the pool replaces it') })
      : createLowdbStore({ dataDir: config.dataDir, clock });
    // Runs and steps are scrubbed on their way in, so the ledger and its history files never hold a known secret.
    // With PostgreSQL the replicas share a leader lease, broadcasts and the login throttle through the database.
    const shared = config.databaseUrl
      ? createPgCoordination({ connectionString: config.databaseUrl, clock, onError: (err) => storeLog.warn({ err }, 'replica coordination: PostgreSQL connection failed; it is re-made') })
      : undefined;
    coordination = shared ?? new LocalCoordination('local', (err) => storeLog.warn({ err }, 'a subscriber of a local broadcast failed'));
    const bus = coordination;
    // Every run write is announced to every replica, so a run page served anywhere updates at once.
    const openedStore = announceRunChanges(redactRunRecords(ledger, secrets), (runId) => {
      bus.publish(RUN_CHANGED_CHANNEL, runId).catch((err: unknown) => storeLog.debug({ err, runId }, 'run change not announced; run pages catch up by polling'));
    });
    const runChanges: RunChangeFeed = {
      subscribe: (runId, onChange) =>
        bus.subscribe(RUN_CHANGED_CHANNEL, (changed) => {
          if (changed === runId) onChange();
        }),
      subscribeAll: (onChange) => bus.subscribe(RUN_CHANGED_CHANNEL, onChange),
    };
    store = openedStore;
    const gitWebUrl = sandbox ? await sandbox.prepareGit(resolve(config.dataDir, 'sandbox-git')) : config.github.webUrl;
    const load = new RequestLoad();
    const built = createServices({ config, store: openedStore, log, secrets, clock, gitWebUrl, githubWebUrl: config.github.webUrl, load, coordination });
    services = built;
    const metrics = new HttpMetrics();
    registerDomainMetrics(metrics.registry, { store: openedStore, clock, latestCycle: () => built.runLoop.latest });
    // One access-code auth guards `/api` and the `/admin` panels, so one throttle counts attempts on both doors.
    const adminAuth = config.adminAccessCode ? new AdminAuth({
          accessCode: config.adminAccessCode,
          sessions: openedStore.adminSessions,
          clock,
          log: log.child({ component: 'admin-auth' }),
          // Replicas count failed logins in the database, so alternating between them buys no tries.
          ...(coordination.failures ? { throttle: new SharedLoginThrottle({ failures: coordination.failures, clock }) } : {}),
        }) : undefined;
    const jiraAdmin = config.jira.host && config.jira.email && config.jira.apiToken ? createJiraAdmin({ host: config.jira.host, email: config.jira.email, apiToken: config.jira.apiToken, now: clock }) : undefined;
    const routes = createRoutes({
      config,
      store: openedStore,
      log,
      clock,
      version,
      acceptDelivery: built.inbox.accept,
      runner: built.runner,
      gapFill: built.githubApp.trigger,
      operations: built.operations,
      runActions: built.runActions,
      schedules: built.schedules,
      budget: { budget: built.budget, resume: built.resumeTicket },
      latestCycle: () => built.runLoop.latest,
      adminAuth,
      jiraAdmin,
      redaction: secrets,
      runChanges,
      ...(sandbox ? { sandbox: sandbox.control } : {}),
    });
    const app = createHttpApp({ log, metrics, load, production: config.production, version, isReady: () => openedStore.isOpen, direct: routes.direct, routers: routes.routers });

    // Listen first: /healthz answers and /readyz says 503 while the store opens.
    const listening = await startHttpServer(app, { port: config.port, host: config.host ?? (sandboxMode ? '127.0.0.1' : undefined) });
    server = listening;
    await openedStore.open();
    // After the store: its open() applied the migrations that made the coordination tables.
    await coordination.open();
    if (sandbox) {
      await sandbox.seedStore(openedStore, clock);
      sandbox.seedRepoFiles(await renderedWorkflowFiles(config));
    }
    // Before the first dispatch: the redactor learns every stored value, and a key rotation is finished.
    await built.prepareSecrets();
    built.start(listening.url);
    // From now on a label, comment, review or merge made on an emulator reaches the orchestrator as a signed webhook.
    if (sandbox) {
      const webhookLog = log.child({ component: 'sandbox-webhooks' });
      sandbox.connectWebhooks(listening.url, { github: config.github.webhookSecret, linear: config.linear.webhookSecret, jira: config.jira.webhookSecret }, (source, event, reason) =>
        webhookLog.warn({ source, event, reason }, 'an emulator webhook was not accepted'),
      );
      sandbox.recordSession(config.dataDir, listening.url, config.adminAccessCode);
    }

    const adminUrl = `${listening.url}/admin`;
    if (sandbox) log.info({ emulators: sandbox.describe() }, 'sandbox emulators');
    if (config.databaseUrl) {
      // A local runner is a child of the replica that spawned it: with several replicas, only that one can see,
      // stop or recover it, and a restart of another replica cannot tell it from a lost job.
      const local = (await openedStore.mappings.list()).filter((m) => m.executionMode === 'local').map((m) => m.teamKey);
      if (local.length > 0) log.warn({ mappings: local }, 'mappings run local runners, which only suit a single replica: with several replicas on DATABASE_URL, use GitHub Actions or Fly Machines');
    }
    log.info({ url: listening.url, sandbox: sandboxMode, store: config.databaseUrl ? 'postgres' : 'lowdb', ...(config.databaseUrl ? {} : { dataDir: resolve(config.dataDir) }), version }, 'orchestrator started');
    // Last, so the log lines of the boot do not push it off the screen. A JSON log
    // is read by a machine, which has the line above; the sandbox always shows how to get in.
    if (sandbox || logFormat === 'pretty') {
      print(
        startBanner({
          adminUrl,
          // With DATABASE_URL the ledger is in PostgreSQL (the URL holds a password: never printed).
          dataDir: config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : resolve(config.dataDir),
          sandbox: sandboxMode,
          accessCode: config.adminAccessCode,
          accessCodeGenerated: sandboxMode && !(options.env.ADMIN_ACCESS_CODE ?? '').trim(),
          version,
        }),
      );
    }

    let stopped = false;
    return {
      config,
      log,
      store: openedStore,
      url: listening.url,
      adminUrl,
      sandbox,
      services: built,
      coordination,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await shutdown();
      },
    };
  } catch (error) {
    // The boot error is the one worth reporting; a failed cleanup after it adds nothing.
    await shutdown().catch(() => undefined);
    throw error;
  }
}

/**
 * The workflow templates as the workflow sync writes them into a repository
 * (the demo projects name no runner image of their own), so the sandbox's
 * demo repository starts with current templates instead of a warning the
 * newcomer did not cause.
 */
async function renderedWorkflowFiles(config: Readonly<Config>): Promise<{ path: string; content: string }[]> {
  const templates = await readWorkflowTemplates(defaultRunnerRoots().projectRoot);
  return templates.map((t) => {
    const rendered = renderWorkflowTemplate(t, { image: config.runnerImage, allowlist: config.runnerImageAllowlist });
    return { path: rendered.targetPath, content: rendered.content };
  });
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined && value.trim() !== '') out[key] = value;
  return out;
}

async function runAll(steps: (() => Promise<void> | undefined)[]): Promise<void> {
  const errors: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length > 0) throw new AggregateError(errors, 'shutdown failed');
}
