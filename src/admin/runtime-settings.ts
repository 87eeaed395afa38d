import { RUNNER_MODES, type RunnerMode } from '../config/index.js';
import { DEFAULT_FLY_SESSIONS_APP, SETTINGS } from '../domain/settings-keys.js';
import type { SettingsRepo } from '../store/store.js';

/**
 * Settings an operator changes at runtime, next to the environment variables
 * that beat them. Every answer says which value is in force and why, so
 * nobody saves a value and then wonders why nothing changed.
 */

export interface RuntimeEnv {
  runnerModeOverride: RunnerMode | undefined;
  flySessionsApp: string | undefined;
  flySessionsRegion: string | undefined;
}

export interface RunnerModeView {
  stored: RunnerMode | null;
  effective: RunnerMode;
  envOverride: boolean;
  /** Set when RUNNER_MODE wins: what the operator must do for the stored value to count. */
  note?: string;
}

export async function readRunnerMode(settings: SettingsRepo, env: RuntimeEnv): Promise<RunnerModeView> {
  const raw = await settings.get<unknown>(SETTINGS.runnerMode);
  const stored = isRunnerMode(raw) ? raw : null;
  const effective = env.runnerModeOverride ?? stored ?? 'default';
  if (!env.runnerModeOverride) return { stored, effective, envOverride: false };
  return {
    stored,
    effective,
    envOverride: true,
    note: `RUNNER_MODE=${env.runnerModeOverride} is set in the environment and wins; a stored mode has no effect until the variable is removed and the orchestrator restarted.`,
  };
}

function isRunnerMode(value: unknown): value is RunnerMode {
  return typeof value === 'string' && (RUNNER_MODES as readonly string[]).includes(value);
}

export const SETTING_KEYS = ['flySessionsApp', 'flySessionsRegion'] as const;
export type SettingKey = (typeof SETTING_KEYS)[number];

export interface SettingView {
  stored: string | null;
  env: string | null;
  /** The value the process uses: the environment's, else the stored one, else the default. */
  runtime: string | null;
  source: 'env' | 'stored' | 'default';
  envOverride: boolean;
  /** True when the stored value differs from the one in force and only a change of environment plus a restart would apply it. */
  restartRequired: boolean;
  envVar: string;
}

const ENV_VAR: Record<SettingKey, string> = { flySessionsApp: 'FLY_SESSIONS_APP', flySessionsRegion: 'FLY_SESSIONS_REGION' };
const DEFAULTS: Record<SettingKey, string | null> = { flySessionsApp: DEFAULT_FLY_SESSIONS_APP, flySessionsRegion: null };

export async function readSettings(settings: SettingsRepo, env: RuntimeEnv): Promise<Record<SettingKey, SettingView>> {
  const out = {} as Record<SettingKey, SettingView>;
  for (const key of SETTING_KEYS) {
    const raw = await settings.get<unknown>(SETTINGS[key]);
    const stored = typeof raw === 'string' ? raw : null;
    const fromEnv = env[key] ?? null;
    const source = fromEnv !== null ? 'env' : stored !== null ? 'stored' : 'default';
    const runtime = fromEnv ?? stored ?? DEFAULTS[key];
    out[key] = {
      stored,
      env: fromEnv,
      runtime,
      source,
      envOverride: fromEnv !== null,
      restartRequired: fromEnv !== null && stored !== null && stored !== fromEnv,
      envVar: ENV_VAR[key],
    };
  }
  return out;
}

/**
 * The settings the run loop and the Fly backend read while they work, with the
 * same precedence the admin API reports. The Fly sessions app and region are
 * read again at each full intake cycle (`refresh`), so a saved change reaches
 * the next dispatch without a store read per machine call.
 */
export class LiveSettings {
  private flyApp: string;
  private flyRegion: string | undefined;

  constructor(
    private readonly settings: SettingsRepo,
    private readonly env: RuntimeEnv,
  ) {
    this.flyApp = env.flySessionsApp ?? DEFAULT_FLY_SESSIONS_APP;
    this.flyRegion = env.flySessionsRegion;
  }

  async runnerMode(): Promise<RunnerMode> {
    return (await readRunnerMode(this.settings, this.env)).effective;
  }

  async refresh(): Promise<void> {
    const views = await readSettings(this.settings, this.env);
    this.flyApp = views.flySessionsApp.runtime ?? DEFAULT_FLY_SESSIONS_APP;
    this.flyRegion = views.flySessionsRegion.runtime ?? undefined;
  }

  // Properties, so the Fly backend is handed them as they are.
  readonly flySessionsApp = (): string => this.flyApp;
  readonly flySessionsRegion = (): string | undefined => this.flyRegion;
}
