import type { RunBackend } from '../domain/run.js';
import { createFlyBackend, type FlyBackendOptions } from './fly/create-fly-backend.js';
import { createGitHubActionsBackend, type GitHubActionsBackendOptions } from './github-actions/create-github-actions-backend.js';
import { createLocalBackend, type LocalBackendOptions } from './local/create-local-backend.js';
import type { RunnerBackend } from './runner-backend.js';

export interface BackendsOptions {
  github?: GitHubActionsBackendOptions;
  fly?: FlyBackendOptions;
  local?: LocalBackendOptions;
}

/**
 * The backends that are configured, keyed by execution mode. A mode left out
 * is absent, and the dispatcher fails its runs with "not configured" rather
 * than guessing another backend.
 */
export function createBackends(options: BackendsOptions): Partial<Record<RunBackend, RunnerBackend>> {
  const backends: Partial<Record<RunBackend, RunnerBackend>> = {};
  if (options.github) backends['github-actions'] = createGitHubActionsBackend(options.github);
  if (options.fly) backends['fly-machines'] = createFlyBackend(options.fly);
  if (options.local) backends.local = createLocalBackend(options.local);
  return backends;
}
