import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

/**
 * The env file setup writes: one `NAME=value` line per variable, no quotes,
 * which both `node --env-file` and `docker run --env-file` read the same way
 * (so a multi-line PEM goes in a file of its own, named by PRIVATE_KEY_PATH).
 */
export interface EnvEntry {
  name: string;
  value: string;
  /** A comment line above the entry. */
  note?: string;
}

export class EnvFileError extends Error {
  override readonly name = 'EnvFileError';
}

export function renderEnvFile(entries: readonly EnvEntry[], writtenAt: Date): string {
  const lines = [`# Written by npm run setup on ${writtenAt.toISOString()}. Keep this file private (mode 600).`];
  for (const entry of entries) {
    if (/[\r\n]/.test(entry.value)) throw new EnvFileError(`${entry.name} holds a line break, which an env file cannot carry on one line; give it without one`);
    if (entry.note) lines.push(`# ${entry.note}`);
    lines.push(`${entry.name}=${entry.value}`);
  }
  const text = `${lines.join('\n')}\n`;
  // Both readers must get back exactly what was meant; a value with quotes or " #" would not survive.
  const parsed = parseEnv(text) as Record<string, string>;
  for (const entry of entries) {
    if (parsed[entry.name] !== entry.value) throw new EnvFileError(`${entry.name} cannot be written to an env file as it is (quotes, a leading or trailing space, or " #" change how it is read back); give it without them`);
  }
  return text;
}

/** The variables of an env file, read as `node --env-file` reads them; `{}` when there is none. */
export function readEnvFile(path: string): Record<string, string> {
  if (!existsSync(path)) return {};
  return parseEnv(readFileSync(path, 'utf8')) as Record<string, string>;
}

/** `20261207T181500Z`: sorts by time and is safe in a file name. */
export function fileTimestamp(at: Date): string {
  return at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Writes the file with mode 0600 through a temporary file and a rename, so a
 * reader never sees half of it. An existing file is first copied to
 * `<path>.bak-<time>` (also 0600); the backup's path is returned.
 */
export function writeEnvFile(path: string, text: string, at: Date): { backup: string | undefined } {
  let backup: string | undefined;
  if (existsSync(path)) {
    backup = `${path}.bak-${fileTimestamp(at)}`;
    copyFileSync(path, backup);
    chmodSync(backup, 0o600);
  }
  const temporary = `${path}.tmp-${randomBytes(4).toString('hex')}`;
  writeFileSync(temporary, text, { mode: 0o600, flag: 'wx' });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
  return { backup };
}

/** Writes a secret file (the App's private key) with mode 0600; never replaces one. */
export function writeSecretFile(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
}

/** How a secret is shown on the terminal: its length and a short hash, never its text. */
export function fingerprint(secret: string): string {
  return `${secret.length} chars, sha256:${createHash('sha256').update(secret).digest('hex').slice(0, 12)}`;
}

/** The values setup generates, each as the config schema wants it. */
export const generate = {
  /** 32 random bytes, base64: SECRETS_ENCRYPTION_KEY. */
  aesKey: () => randomBytes(32).toString('base64'),
  /** 32 random bytes, hex: RUNNER_TOKEN_SECRET, GAP_FILL_TRIGGER_SECRET, webhook secrets. */
  hexSecret: () => randomBytes(32).toString('hex'),
  /** 24 random bytes, base64url (32 characters): ADMIN_ACCESS_CODE. */
  accessCode: () => randomBytes(24).toString('base64url'),
};
