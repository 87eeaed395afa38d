import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { ConfigError } from '../errors/index.js';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/** Seals and opens secret values under the operator's key; keeps the key to itself. */
export interface SecretBox {
  /** Identifies the current key without revealing it. */
  readonly keyId: string;
  /** Whether a value sealed under this key id can be opened (the current key or the previous one). */
  knows(keyId: string): boolean;
  seal(value: string, boundTo: string): { sealed: string; keyId: string };
  /** Throws when the key is unknown, the sealed text was changed, or it belongs to another id. */
  open(sealed: string, keyId: string, boundTo: string): string;
  /** A keyed digest: equal values, equal fingerprints; nothing to guess a value from. */
  fingerprint(value: string): string;
}

export class SecretUnreadableError extends Error {
  override readonly name = 'SecretUnreadableError';
}

/**
 * `SECRETS_ENCRYPTION_KEY`: 32 random bytes, as base64 (44 characters) or
 * hex (64). A passphrase is refused rather than stretched: the key is made
 * once by a machine (`openssl rand -base64 32`) and kept in a secret store.
 */
export function parseSecretsKey(text: string, variable = 'SECRETS_ENCRYPTION_KEY'): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-f]{64}$/i.test(trimmed) ? Buffer.from(trimmed, 'hex') : /^[A-Za-z0-9+/]{43}=?$/.test(trimmed) ? Buffer.from(trimmed, 'base64') : undefined;
  if (!key || key.length !== KEY_BYTES) {
    throw new ConfigError(`${variable} must be 32 random bytes written as base64 (44 characters) or hex (64); make one with: openssl rand -base64 32`, [
      `${variable}: not 32 bytes of base64 or hex; generate one with openssl rand -base64 32`,
    ]);
  }
  return key;
}

function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/** AES-256-GCM with a fresh 96-bit nonce per value; the record id is the associated data. */
export function createSecretBox(current: string, previous?: string): SecretBox {
  const key = parseSecretsKey(current);
  const old = previous ? parseSecretsKey(previous, 'SECRETS_ENCRYPTION_KEY_PREVIOUS') : undefined;
  const keys = new Map<string, Buffer>([[keyIdOf(key), key]]);
  if (old) {
    if (keys.has(keyIdOf(old))) throw new ConfigError('SECRETS_ENCRYPTION_KEY_PREVIOUS is the same key as SECRETS_ENCRYPTION_KEY', ['SECRETS_ENCRYPTION_KEY_PREVIOUS: set it to the key used before the rotation, or unset it']);
    keys.set(keyIdOf(old), old);
  }
  const keyId = keyIdOf(key);
  const fingerprintKey = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'ai-implement secret fingerprint', 32));

  return {
    keyId,
    knows: (id) => keys.has(id),
    seal(value, boundTo) {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, nonce);
      cipher.setAAD(Buffer.from(boundTo, 'utf8'));
      const body = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
      return { sealed: Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64'), keyId };
    },
    open(sealed, id, boundTo) {
      const use = keys.get(id);
      if (!use) throw new SecretUnreadableError(`sealed under key ${id}, which is neither SECRETS_ENCRYPTION_KEY nor SECRETS_ENCRYPTION_KEY_PREVIOUS`);
      const raw = Buffer.from(sealed, 'base64');
      if (raw.length < NONCE_BYTES + TAG_BYTES) throw new SecretUnreadableError('sealed value is too short');
      try {
        const decipher = createDecipheriv('aes-256-gcm', use, raw.subarray(0, NONCE_BYTES));
        decipher.setAAD(Buffer.from(boundTo, 'utf8'));
        decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
        return Buffer.concat([decipher.update(raw.subarray(NONCE_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
      } catch {
        throw new SecretUnreadableError('sealed value does not open: it was altered or belongs to another secret');
      }
    },
    fingerprint(value) {
      return `hmac-sha256:${createHmac('sha256', fingerprintKey).update(value, 'utf8').digest('hex').slice(0, 16)}`;
    },
  };
}
