import type { AdminCommands } from '../../admin/admin-commands.js';
import type { Config } from '../../config/index.js';
import type { Logger } from '../../logging/create-logger.js';
import type { IntakeCycleResult } from '../../orchestrator/intake-cycle.js';
import type { RunnerTokens } from '../../orchestrator/runner-tokens.js';
import type { Store } from '../../store/store.js';
import type { Trackers } from '../../trackers/create-trackers.js';

/** What a login attempt came to; the reasons decide the status code and the message. */
export type LoginOutcome =
  | { ok: true; token: string; expiresAt: string }
  | { ok: false; reason: 'wrong-code' | 'throttled'; retryAfterMs?: number };

export interface AuthenticatedSession {
  id: string;
  expiresAt: string;
}

/**
 * The access-code auth service shared with `POST /api/auth`: same throttling,
 * same hashed sessions. The panels keep the bearer token in a cookie.
 */
export interface AdminAuth {
  login(code: string, clientKey: string): Promise<LoginOutcome>;
  authenticate(token: string): Promise<AuthenticatedSession | undefined>;
  logout(token: string): Promise<void>;
}

/** A live Fly machine as the Sessions panel lists it. */
export interface SessionInfo {
  machineId: string;
  name: string;
  state: string;
  createdAt?: string;
  runId?: string;
  issueIdentifier?: string;
  issueUrl?: string;
  repo?: string;
  mappingKey?: string;
}

export interface SecretInfo {
  name: string;
  createdAt?: string;
}

export interface TemplateStatus {
  teamKey: string;
  repo: string;
  stale: boolean;
  detail: string;
}

export interface ConfigCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface CustomizationInfo {
  path: string;
  category: 'pipeline' | 'step' | 'provider' | 'other';
  status: 'override' | 'additive' | '—';
  upstreamPath?: string;
  sizeBytes: number;
  modifiedAt: string;
}

export interface JqlValidation {
  valid: boolean;
  message: string;
  matchCount?: number;
}

export interface JiraFieldInfo {
  id: string;
  name: string;
}

/**
 * Operations the panels trigger. They belong to the operations services; a
 * missing one is shown as "not available in this build" instead of failing.
 * `actor` is recorded in the audit trail.
 */
export interface AdminOperations {
  listSessions?(): Promise<SessionInfo[]>;
  destroySession?(machineId: string, actor: string): Promise<{ issueReset?: string }>;
  syncWorkflows?(teamKey: string, actor: string): Promise<{ message: string }>;
  templateStatus?(): Promise<TemplateStatus[]>;
  configStatus?(): Promise<ConfigCheck[]>;
  listTeamSecrets?(teamKey: string): Promise<SecretInfo[]>;
  setTeamSecret?(teamKey: string, name: string, value: string, actor: string): Promise<void>;
  deleteTeamSecret?(teamKey: string, name: string, actor: string): Promise<void>;
  listGlobalSecrets?(): Promise<SecretInfo[]>;
  setGlobalSecret?(name: string, value: string, actor: string): Promise<void>;
  deleteGlobalSecret?(name: string, actor: string): Promise<void>;
  listCustomizations?(): Promise<CustomizationInfo[]>;
  validateJql?(jql: string): Promise<JqlValidation>;
  listJiraFields?(): Promise<JiraFieldInfo[]>;
}

export interface AdminDeps {
  config: Readonly<Config>;
  store: Store;
  clock: () => number;
  log: Logger;
  auth: AdminAuth;
  /** The same project and settings commands the JSON API uses. */
  commands: AdminCommands;
  operations: AdminOperations;
  trackers: Trackers;
  tokens?: RunnerTokens | undefined;
  /** The last full intake cycle (blockers, candidates); undefined before the first one. */
  latestCycle: () => IntakeCycleResult | undefined;
  /** Where views/ and pipelines/ live. */
  projectRoot: string;
  /** How often the run page's event stream looks for changes. */
  ssePollMs?: number;
}
