import { ValidationError } from '../errors/index.js';

export const SECRET_NAME_PATTERN = /^[A-Z][A-Z0-9_]*$/;
/** Env names past this are a mistake. */
export const MAX_SECRET_NAME_LENGTH = 100;
/** Secrets are tokens and keys; anything near this is a file that belongs elsewhere. */
export const MAX_SECRET_VALUE_BYTES = 32 * 1024;

/**
 * Names a secret may not take: the runner's own variables and credentials,
 * and the ones that decide what a process runs. A secret under one of them
 * would override the runner rather than reach the agent.
 */
const RESERVED_NAMES = new Set(['PATH', 'HOME', 'SHELL', 'USER', 'NODE_OPTIONS', 'LD_PRELOAD', 'LD_LIBRARY_PATH', 'GITHUB_TOKEN', 'GH_TOKEN', 'IS_SANDBOX']);
const RESERVED_PREFIXES = ['AI_IMPLEMENT_', 'ACTIONS_', 'GITHUB_', 'RUNNER_', 'GIT_'];

export function validateSecretName(name: unknown, field = 'name'): string {
  if (typeof name !== 'string' || name === '') throw new ValidationError(`${field} is required`, field);
  if (name.length > MAX_SECRET_NAME_LENGTH) throw new ValidationError(`${field} must be at most ${MAX_SECRET_NAME_LENGTH} characters`, field);
  if (!SECRET_NAME_PATTERN.test(name)) {
    throw new ValidationError(`${field} must be upper-case letters, digits and _ and start with a letter (e.g. ANTHROPIC_API_KEY)`, field);
  }
  const prefix = RESERVED_PREFIXES.find((p) => name.startsWith(p));
  if (RESERVED_NAMES.has(name) || prefix) {
    throw new ValidationError(`${field} ${name} is reserved for the runner${prefix ? ` (names starting with ${prefix})` : ''}; choose another name, e.g. MY_${name.replace(/^_+/, '')}`, field);
  }
  return name;
}

export function validateSecretValue(value: unknown, field = 'value'): string {
  if (typeof value !== 'string' || value === '') throw new ValidationError(`${field} is required and must be a non-empty string`, field);
  if (Buffer.byteLength(value, 'utf8') > MAX_SECRET_VALUE_BYTES) throw new ValidationError(`${field} must be at most ${MAX_SECRET_VALUE_BYTES} bytes`, field);
  return value;
}
