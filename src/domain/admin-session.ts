/**
 * An operator session created from the access code. Only the hash of the
 * bearer token is stored. `codeFingerprint` identifies which access code
 * created it, so rotating the code can revoke every older session.
 */
export interface AdminSession {
  id: string;
  tokenHash: string;
  expiresAt: string;
  codeFingerprint: string;
  createdAt: string;
}
