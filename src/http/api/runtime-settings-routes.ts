import { Router } from 'express';
import { z } from 'zod';
import { recordAdminChange } from '../../admin/record-admin-change.js';
import { readRunnerMode, readSettings, SETTING_KEYS, type RuntimeEnv } from '../../admin/runtime-settings.js';
import { RUNNER_MODES } from '../../config/index.js';
import { SETTINGS } from '../../services.js';
import type { Store } from '../../store/store.js';
import { adminSessionOf } from './api-guard.js';
import type { ApiRouteModule } from './api-operation.js';
import { parseInput } from './parse-input.js';

export interface RuntimeSettingsRoutesDeps {
  store: Store;
  clock: () => number;
  env: RuntimeEnv;
}

const modeBody = z.object({ mode: z.enum(RUNNER_MODES, { message: `must be one of ${RUNNER_MODES.join(', ')}` }) }).strict();
const modeAnswer = z.object({ stored: z.enum(RUNNER_MODES).nullable(), effective: z.enum(RUNNER_MODES), envOverride: z.boolean(), note: z.string().optional() });

/** `null` clears the stored value (back to the default). */
const settingsBody = z
  .object({
    flySessionsApp: z
      .string()
      .trim()
      .regex(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/, 'must be a Fly app name (lowercase letters, digits and "-", 3 to 63 characters)')
      .nullable()
      .optional(),
    flySessionsRegion: z.string().trim().regex(/^[a-z]{3}$/, 'must be a Fly region code such as iad or ams').nullable().optional(),
  })
  .strict()
  .refine((b) => SETTING_KEYS.some((k) => b[k] !== undefined), { message: `send at least one of ${SETTING_KEYS.join(', ')}` });

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
  const { store, clock, env } = deps;
  const router = Router();

  router.get('/api/runner-mode', async (_req, res) => {
    res.json(await readRunnerMode(store.settings, env));
  });

  router.post('/api/runner-mode', async (req, res) => {
    const { mode } = parseInput(modeBody, req.body, 'body');
    const before = await readRunnerMode(store.settings, env);
    await store.settings.set(SETTINGS.runnerMode, mode);
    const after = await readRunnerMode(store.settings, env);
    await recordAdminChange(store.audit, clock, { actor: adminSessionOf(res).id, action: 'settings.runnerMode', target: 'setting:runnerMode', before: before.stored, after: mode });
    // Without the override the poller reads the stored mode at its next cycle.
    res.json(after.envOverride ? after : { ...after, note: 'Saved; the next intake cycle uses it.' });
  });

  router.get('/api/settings', async (_req, res) => {
    res.json({ settings: await readSettings(store.settings, env) });
  });

  router.post('/api/settings', async (req, res) => {
    const body = parseInput(settingsBody, req.body, 'body');
    const before = await readSettings(store.settings, env);
    for (const key of SETTING_KEYS) {
      const value = body[key];
      if (value === null) await store.settings.delete(SETTINGS[key]);
      else if (value !== undefined) await store.settings.set(SETTINGS[key], value);
    }
    const after = await readSettings(store.settings, env);
    const changed = SETTING_KEYS.filter((k) => body[k] !== undefined);
    await recordAdminChange(store.audit, clock, {
      actor: adminSessionOf(res).id,
      action: 'settings.update',
      target: `settings:${changed.join(',')}`,
      before: Object.fromEntries(changed.map((k) => [k, before[k].stored])),
      after: Object.fromEntries(changed.map((k) => [k, after[k].stored])),
    });
    const overridden = changed.filter((k) => after[k].envOverride);
    const note = overridden.length
      ? `Saved, but ${overridden.map((k) => after[k].envVar).join(' and ')} set in the environment win${overridden.length === 1 ? 's' : ''}: the stored value applies only after the variable is removed and the orchestrator restarted.`
      : 'Saved; new Fly sessions use it from the next intake cycle.';
    res.json({ settings: after, note });
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
        body: modeBody,
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
        body: settingsBody,
        response: settingsAnswer,
        statuses: { 200: 'stored', 400: 'unknown key or bad value', 401: 'missing or invalid token' },
      },
    ],
  };
}
