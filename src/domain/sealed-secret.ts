/**
 * A secret as the store keeps it: the value only sealed (AES-256-GCM under
 * the operator's `SECRETS_ENCRYPTION_KEY`), bound to its own id so a sealed
 * value copied onto another name does not open.
 */
export interface SealedSecret {
  /** `global/NAME` or `mapping/<teamKey>/NAME`. */
  id: string;
  scope: 'global' | 'mapping';
  /** Set for `mapping` scope. */
  teamKey?: string;
  /** The environment variable name a run sees. */
  name: string;
  /** base64 of nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes). */
  sealed: string;
  /** Which key sealed it (the first 16 hex digits of its SHA-256), so a rotation knows what to re-seal. */
  keyId: string;
  /** A keyed digest of the value: two equal values show the same fingerprint, nothing about the value itself. */
  fingerprint: string;
  /** 1 when first set; +1 at every rotation. */
  version: number;
  createdAt: string;
  updatedAt: string;
  updatedBy: string;
}

export type SecretScope = { scope: 'global' } | { scope: 'mapping'; teamKey: string };

export function secretId(where: SecretScope, name: string): string {
  return where.scope === 'global' ? `global/${name}` : `mapping/${where.teamKey}/${name}`;
}
