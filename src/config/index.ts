export { CONFIG_VARIABLES, LOG_FORMATS, LOG_LEVELS, RUNNER_MODES, type ConfigVariable, type LogFormat, type LogLevel, type RunnerMode } from './config-schema.js';
export { isSandboxEnv, loadConfig, type Config, type FlyConfig, type GitHubConfig, type JiraConfig, type LinearConfig, type LoadConfigOptions } from './load-config.js';
export { SecretRegistry, type Redaction, type RegisterOptions, type RegisterSecret, type SecretRegistryOptions } from './secret-registry.js';
