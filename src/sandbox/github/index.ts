export { GitHubEmulator, type GitHubEmulatorOptions, type RateLimitState } from './github-emulator.js';
export {
  GitHubState,
  DEFAULT_INSTALLATION_PERMISSIONS,
  type AddInstallationOptions,
  type AddRepoOptions,
  type AddWorkflowOptions,
} from './github-state.js';
export { renderRunName } from './routes-actions.js';
export type { TokenRequest } from './github-auth.js';
export type * from './github-types.js';
