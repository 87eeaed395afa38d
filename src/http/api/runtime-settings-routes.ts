import { Router } from 'express';
import { z } from 'zod';
import { runnerModeSchema, settingsSchema, type AdminCommands } from '../../admin/admin-commands.js';
import { readRunnerMode, readSettings, type RuntimeEnv } from '../../admin/runtime-settings.js';
import { RUNNER_MODES } from '../../config/index.js';
import type { Store } from '../../store/store.js';
import { adminSessionOf } from './api-guard.js';
import type { ApiRouteModule } from './api-operation.js';

export interface RuntimeSettingsRoutesDeps {
  store: Store;
  env: RuntimeEnv;
  commands: AdminCommands;
}

const modeAnswer = z.object({ stored: z.enum(RUNNER_MODES).nullable(), effective: z.enum(RUNNER_MODES), envOverride: z.boolean(), note: z.string().optional() });

const settingView = z.object({
  stored: z.string().nullable(),
  env: z.string().nullable(),
  runtime: z.string().nullable(),
  source: z.enum(['env', 'stored', 'default']),
  envOverride: z.boolean(),
  restartRequired: z.boolean(),
  envVar: z.string(),
});
const settingsAnswer = z.object({ settings: z.object({ flySessionsApp: settingView, flySessionsRegion: settingView }), note: z.string().optional() });

export function createRuntimeSettingsRoutes(deps: RuntimeSettingsRoutesDeps): ApiRouteModule {
  const { store, env, commands } = deps;
  const router = Router();

  router.get('/api/runner-mode', async (_req, res) => {
    res.json(await readRunnerMode(store.settings, env));
  });

  router.post('/api/runner-mode', async (req, res) => {
    const after = await commands.setRunnerMode(req.body, adminSessionOf(res).id);
    // Without the override the poller reads the stored mode at its next cycle.
    res.json(after.envOverride ? after : { ...after, note: 'Saved; the next intake cycle uses it.' });
  });

  router.get('/api/settings', async (_req, res) => {
    res.json({ settings: await readSettings(store.settings, env) });
  });

  router.post('/api/settings', async (req, res) => {
    const { settings, changed } = await commands.updateSettings(req.body, adminSessionOf(res).id);
    const overridden = changed.filter((k) => settings[k].envOverride);
    const note = overridden.length
      ? `Saved, but ${overridden.map((k) => settings[k].envVar).join(' and ')} set in the environment win${overridden.length === 1 ? 's' : ''}: the stored value applies only after the variable is removed and the orchestrator restarted.`
      : 'Saved; new Fly sessions use it from the next intake cycle.';
    res.json({ settings, note });
  });

  return {
    router,
    operations: [
      {
        method: 'get',
        path: '/api/runner-mode',
        summary: 'Stored and effective runner mode (RUNNER_MODE in the environment wins)',
        response: modeAnswer,
        statuses: { 200: 'the runner mode', 401: 'missing or invalid token' },
      },
      {
        method: 'post',
        path: '/api/runner-mode',
        summary: 'Store the runner mode (default, gha, fly, local, shadow); no effect while RUNNER_MODE is set',
        body: runnerModeSchema,
        response: modeAnswer,
        statuses: { 200: 'stored; `effective` and `note` say whether it applies', 400: 'mode missing or unknown', 401: 'missing or invalid token' },
      },
      {
        method: 'get',
        path: '/api/settings',
        summary: 'Orchestrator settings: stored and runtime values, which one wins, whether a restart is needed',
        response: settingsAnswer,
        statuses: { 200: 'the settings', 401: 'missing or invalid token' },
      },
      {
        method: 'post',
        path: '/api/settings',
        summary: 'Store flySessionsApp and/or flySessionsRegion (null clears)',
        body: settingsSchema,
        response: settingsAnswer,
        statuses: { 200: 'stored', 400: 'unknown key or bad value', 401: 'missing or invalid token' },
      },
    ],
  };
}
