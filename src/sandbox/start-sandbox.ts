import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../store/store.js';
import { FlyEmulator } from './fly/index.js';
import { GitHubEmulator } from './github/index.js';
import { JiraEmulator } from './jira/index.js';
import { LinearEmulator } from './linear/index.js';
import { AI_IMPLEMENT_LABEL, DEMO_FILES, DEMO_FLY_APP, DEMO_OWNER, DEMO_REPO, seedDemoEmulators, seedDemoStore, seedDemoTickets } from './seed-demo.js';
import { ensureBareRepo } from './sandbox-git.js';
import { pathToFileURL } from 'node:url';
import type { SandboxControl } from '../admin/sandbox-control.js';
import { createSandboxControl } from './sandbox-control.js';

type Env = Record<string, string | undefined>;

/** Where a running sandbox says how to reach it (see `recordSession`); read by scripts/sandbox.ts. */
export const SANDBOX_SESSION_FILE = 'sandbox-session.json';

export interface SandboxEmulators {
  github: GitHubEmulator;
  linear: LinearEmulator;
  jira: JiraEmulator;
  fly: FlyEmulator;
}

export interface Sandbox {
  emulators: SandboxEmulators;
  /**
   * Environment that wires the orchestrator to the emulators, for every
   * integration the operator has not configured with a real credential, plus
   * secrets generated for this process (sandbox mode only).
   */
  envFor: (operatorEnv: Env) => Record<string, string>;
  /** Lines for the startup banner. */
  describe: () => string[];
  /**
   * Creates (once) the local bare repositories runners clone from and push to,
   * wired to report pushes to the GitHub emulator; resolves with the clone base URL.
   */
  prepareGit: (root: string) => Promise<string>;
  /**
   * Seeds the demo projects into the store unless they already exist, then the
   * demo tickets into the emulators as the store's runs left them (call once,
   * before the run loop starts).
   */
  seedStore: (store: Store, clock: () => number) => Promise<void>;
  /**
   * Commits files to the demo repository's default branch on the GitHub
   * emulator, as a merged workflow sync would have left them (target path →
   * content); the caller renders the templates, so a fresh sandbox shows its
   * templates current.
   */
  seedRepoFiles: (files: ReadonlyArray<{ path: string; content: string }>) => void;
  /**
   * Points the emulators' webhooks at the orchestrator, signed with the
   * secrets it verifies, as an operator configures them on Linear, Jira and
   * the GitHub App; failed deliveries are reported to `onFailure`.
   */
  connectWebhooks: (orchestratorUrl: string, secrets: WebhookSecrets, onFailure: (source: string, event: string, reason: string) => void) => void;
  /**
   * Writes where this sandbox listens and its access code beside its data
   * (`sandbox-session.json`, mode 0600), so `npm run sandbox -- <command>`
   * finds the running sandbox without copying the printed code.
   */
  recordSession: (dataDir: string, url: string, accessCode: string | undefined) => void;
  /** The things to try (add a ticket, comment, review, merge), for the panels, the API and `npm run sandbox`. */
  control: SandboxControl;
  stop: () => Promise<void>;
}

/**
 * The sandbox's secrets key, made once and kept beside its data (mode 0600),
 * so secrets set while trying it out survive a restart. A real deployment
 * sets SECRETS_ENCRYPTION_KEY from its own secret store instead.
 */
function sandboxSecretsKey(dataDir: string): string {
  const file = join(dataDir, 'sandbox-secrets.key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32).toString('base64');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

export interface WebhookSecrets {
  github: string | undefined;
  linear: string | undefined;
  jira: string | undefined;
}

/** Starts the four loopback emulators and seeds them with the demo organisation (its tickets come with `seedStore`). */
export async function startSandbox(): Promise<Sandbox> {
  let reportFailure: (source: string, event: string, reason: string) => void = () => undefined;
  const failures = (source: string) => (event: string, reason: string) => reportFailure(source, event, reason);
  const emulators: SandboxEmulators = {
    github: new GitHubEmulator({ onWebhookFailure: failures('github') }),
    // Issue URLs point at the emulator's own issue pages, so the panels' ticket links open something real.
    linear: new LinearEmulator({ issuePages: { label: AI_IMPLEMENT_LABEL }, onWebhookFailure: failures('linear') }),
    jira: new JiraEmulator({ onWebhookFailure: failures('jira') }),
    fly: new FlyEmulator({ apps: [DEMO_FLY_APP] }),
  };
  const started: { stop: () => Promise<void> }[] = [];
  try {
    for (const emulator of Object.values(emulators)) {
      await emulator.start();
      started.push(emulator);
    }
  } catch (error) {
    await Promise.all(started.map((e) => e.stop()));
    throw error;
  }
  seedDemoEmulators(emulators);

  const generated = {
    RUNNER_TOKEN_SECRET: randomBytes(32).toString('hex'),
    GITHUB_WEBHOOK_SECRET: randomBytes(20).toString('hex'),
    LINEAR_WEBHOOK_SECRET: randomBytes(20).toString('hex'),
    JIRA_WEBHOOK_SECRET: randomBytes(20).toString('hex'),
    GAP_FILL_TRIGGER_SECRET: randomBytes(24).toString('hex'),
    // 24 characters: the config requires at least 20.
    ADMIN_ACCESS_CODE: randomBytes(18).toString('base64url'),
  };

  return {
    emulators,
    envFor: (operatorEnv) => {
      const has = (name: string) => (operatorEnv[name] ?? '').trim() !== '';
      const env: Record<string, string> = { ...generated, ...emulators.github.probotEnv };
      if (!has('LINEAR_API_KEY')) Object.assign(env, { LINEAR_API_KEY: emulators.linear.apiKey, LINEAR_API_URL: emulators.linear.apiUrl });
      if (!has('JIRA_HOST')) Object.assign(env, { JIRA_HOST: emulators.jira.url, JIRA_EMAIL: emulators.jira.email, JIRA_API_TOKEN: emulators.jira.apiToken });
      if (!has('SECRETS_ENCRYPTION_KEY')) env.SECRETS_ENCRYPTION_KEY = sandboxSecretsKey(operatorEnv.DATA_DIR?.trim() || './data');
      if (!has('FLY_API_TOKEN')) {
        Object.assign(env, { FLY_API_TOKEN: emulators.fly.token, FLY_API_URL: emulators.fly.apiUrl, FLY_GRAPHQL_URL: emulators.fly.graphqlUrl, FLY_SESSIONS_APP: DEMO_FLY_APP });
      }
      return env;
    },
    describe: () => [
      `GitHub emulator: ${emulators.github.url}`,
      `Linear emulator: ${emulators.linear.apiUrl}`,
      `Jira emulator:   ${emulators.jira.url}`,
      `Fly emulator:    ${emulators.fly.apiUrl}`,
    ],
    prepareGit: async (root) => {
      emulators.github.useGitDirs((owner, repo) => join(root, owner, `${repo}.git`));
      await ensureBareRepo(root, DEMO_OWNER, DEMO_REPO, 'main', DEMO_FILES, `${emulators.github.url}/_sandbox/push`);
      return pathToFileURL(root).href;
    },
    seedStore: async (store, clock) => {
      await seedDemoStore(store, clock);
      await seedDemoTickets(emulators, store);
    },
    seedRepoFiles: (files) => {
      const { state } = emulators.github;
      for (const file of files) {
        if (state.readFile(DEMO_OWNER, DEMO_REPO, file.path) === file.content) continue;
        state.setFile(DEMO_OWNER, DEMO_REPO, 'main', file.path, file.content, `AI-Implement: add ${file.path}`);
      }
    },
    connectWebhooks: (orchestratorUrl, secrets, onFailure) => {
      reportFailure = onFailure;
      const base = orchestratorUrl.replace(/\/+$/, '');
      if (secrets.github) emulators.github.webhooks.connect({ url: `${base}/api/github/webhook`, secret: secrets.github });
      if (secrets.linear) emulators.linear.webhooks.connect({ url: `${base}/webhooks/linear`, secret: secrets.linear });
      if (secrets.jira) emulators.jira.webhooks.connect({ url: `${base}/webhooks/jira`, secret: secrets.jira });
    },
    control: createSandboxControl(emulators),
    recordSession: (dataDir, url, accessCode) => {
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(join(dataDir, SANDBOX_SESSION_FILE), `${JSON.stringify({ url, accessCode: accessCode ?? null }, null, 2)}\n`, { mode: 0o600 });
    },
    stop: async () => {
      await Promise.all(Object.values(emulators).map((e: { stop: () => Promise<void> }) => e.stop()));
    },
  };
}
