import { Router } from 'express';
import type { AdminAuth as AccessCodeAuth } from '../../admin/auth/admin-auth.js';
import { clientIpOf } from '../../admin/auth/client-ip.js';
import type { Config } from '../../config/index.js';
import type { Logger } from '../../logging/create-logger.js';
import type { Operations } from '../../operations/create-operations.js';
import type { IntakeCycleResult } from '../../orchestrator/intake-cycle.js';
import type { RunnerTokens } from '../../orchestrator/runner-tokens.js';
import type { Trackers } from '../../trackers/create-trackers.js';
import type { Store } from '../../store/store.js';
import type { JiraAdmin } from '../../trackers/jira/index.js';
import type { AdminCommands } from '../../admin/admin-commands.js';
import { findProjectRoot } from '../../package-info.js';
import type { AdminAuth, AdminOperations } from './admin-deps.js';
import { createAdminRouter } from './create-admin-router.js';

export interface MountAdminPanelsInput {
  config: Readonly<Config>;
  store: Store;
  log: Logger;
  clock: () => number;
  operations: Operations;
  trackers: Trackers;
  tokens: RunnerTokens | undefined;
  latestCycle: () => IntakeCycleResult | undefined;
  /** The access-code auth shared with `POST /api/auth`; undefined when ADMIN_ACCESS_CODE is unset. */
  auth: AccessCodeAuth | undefined;
  /** The API's project and settings commands, so both doors change things the same way. */
  commands: AdminCommands;
  /** The API's Jira admin client (JQL checks, field discovery); undefined without Jira. */
  jira: JiraAdmin | undefined;
  projectRoot?: string;
}

/** The panels use the same auth instance as `/api/auth`, so one throttle counts attempts on both doors. */
export function adaptAuth(auth: AccessCodeAuth): AdminAuth {
  return {
    login: async (code, clientKey) => {
      const outcome = await auth.login(code, clientKey);
      if (outcome.ok) return { ok: true, token: outcome.token, expiresAt: outcome.expiresAt };
      return outcome.reason === 'throttled' ? { ok: false, reason: 'throttled', retryAfterMs: outcome.retryAfterMs } : { ok: false, reason: 'wrong-code' };
    },
    authenticate: async (token) => {
      const session = await auth.authenticate(token);
      return session ? { id: session.id, expiresAt: session.expiresAt } : undefined;
    },
    logout: async (token) => {
      await auth.logout(token);
    },
  };
}

/** The operations services in the shape the panels print; an absent service leaves its method out. */
export function adaptOperations(operations: Operations, jira: JiraAdmin | undefined): AdminOperations {
  const { sessions, secrets, workflowSync } = operations;
  const ops: AdminOperations = {
    configStatus: async () => (await operations.configStatus()).map((c) => ({ name: c.name, ok: c.ok, detail: c.fix ? `${c.detail} ${c.fix}` : c.detail })),
    listCustomizations: async () =>
      (await operations.customizations()).map((c) => ({ path: c.path, category: c.category, status: c.status, ...(c.shadows ? { upstreamPath: c.shadows } : {}), sizeBytes: c.size, modifiedAt: c.modifiedAt })),
  };
  if (sessions) {
    ops.listSessions = async () =>
      (await sessions.list()).map((s) => ({
        machineId: s.machineId,
        name: s.name,
        state: s.state,
        createdAt: s.createdAt,
        ...(s.runId ? { runId: s.runId } : {}),
        ...(s.issue ? { issueIdentifier: s.issue } : {}),
        ...(s.issueUrl ? { issueUrl: s.issueUrl } : {}),
        ...(s.repo ? { repo: s.repo } : {}),
        ...(s.mappingKey ? { mappingKey: s.mappingKey } : {}),
      }));
    ops.destroySession = async (machineId, actor) => {
      const destroyed = await sessions.destroy(machineId, actor);
      return destroyed.issue && (destroyed.markerRemoved || destroyed.dedupCleared) ? { issueReset: destroyed.issue } : {};
    };
  }
  if (workflowSync) {
    ops.syncWorkflows = async (teamKey, actor) => {
      const result = await workflowSync.sync(teamKey, actor);
      return { message: result.prUrl ? `${result.status}: ${result.prUrl}` : result.status };
    };
    ops.templateStatus = async () =>
      (await workflowSync.templateStatus()).map((t) => ({
        teamKey: t.teamKey,
        repo: t.repo,
        stale: t.status !== 'current',
        detail: t.error ?? (t.files.filter((f) => f.status !== 'current').map((f) => `${f.path} ${f.status}`).join(', ') || t.status),
      }));
  }
  if (secrets) {
    ops.listGlobalSecrets = async () => (await secrets.listGlobal()).map((s) => ({ name: s.name, createdAt: s.createdAt }));
    ops.setGlobalSecret = async (name, value, actor) => void (await secrets.setGlobal(name, value, actor));
    ops.deleteGlobalSecret = (name, actor) => secrets.deleteGlobal(name, actor);
    ops.listTeamSecrets = async (teamKey) => (await secrets.listTeam(teamKey)).map((s) => ({ name: s.name, createdAt: s.createdAt }));
    ops.setTeamSecret = async (teamKey, name, value, actor) => void (await secrets.setTeam(teamKey, name, value, actor));
    ops.deleteTeamSecret = (teamKey, name, actor) => secrets.deleteTeam(teamKey, name, actor);
  }
  if (jira) {
    ops.validateJql = async (jql) => {
      const result = await jira.validateJql(jql);
      const message = result.valid ? (result.warnings.length ? `Valid, with warnings: ${result.warnings.join('; ')}` : 'Valid JQL.') : result.errors.join('; ') || 'Jira refused this JQL.';
      return { valid: result.valid, message };
    };
    ops.listJiraFields = async () => (await jira.listFields()).filter((f) => f.custom).map((f) => ({ id: f.id, name: f.name }));
  }
  return ops;
}

/** Builds the `/admin` router from what the composition root holds (one line there mounts it). */
export function mountAdminPanels(input: MountAdminPanelsInput): Router {
  if (!input.auth || !input.config.adminAccessCode) return Router();
  const { config } = input;
  return createAdminRouter(
    {
      config,
      store: input.store,
      clock: input.clock,
      log: input.log.child({ component: 'admin-panels' }),
      auth: adaptAuth(input.auth),
      commands: input.commands,
      operations: adaptOperations(input.operations, input.jira),
      trackers: input.trackers,
      tokens: input.tokens,
      latestCycle: input.latestCycle,
      projectRoot: input.projectRoot ?? findProjectRoot(),
    },
    { clientKeyOf: (req) => clientIpOf(req, config.trustedProxyHeader) },
  );
}
