import { randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { GitHubApiError } from './github-http.js';
import type { GitHubState } from './github-state.js';
import type { AccessLevel, Installation, InstallationToken, PermissionSet, Repo } from './github-types.js';

const LEVELS: Record<AccessLevel, number> = { read: 1, write: 2, admin: 3 };
const TOKEN_TTL_MS = 60 * 60 * 1000;
/** GitHub refuses app JWTs that live longer than ten minutes. */
const MAX_JWT_LIFETIME_S = 600;

/** A permission a route needs; any one of the alternatives suffices. */
export type PermissionNeed = Array<[string, AccessLevel]>;

function bearer(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const match = /^(?:bearer|token)\s+(\S+)$/i.exec(value?.trim() ?? '');
  return match?.[1];
}

function unauthorized(message = 'Bad credentials'): GitHubApiError {
  return new GitHubApiError(401, message);
}

/** The `iss` claim of an App JWT, unverified: which App's key to check it with. */
export function appJwtIssuer(header: string | string[] | undefined): string | undefined {
  const token = bearer(header);
  const claims = token ? jwt.decode(token) : null;
  return claims && typeof claims === 'object' && claims.iss !== undefined ? String(claims.iss) : undefined;
}

/** Verifies an App JWT (RS256, signed by the app's key, `iss` = app id, ≤ 10 min lifetime). */
export function verifyAppJwt(
  header: string | string[] | undefined,
  options: { appId: number; publicKeyPem: string; now: Date },
): void {
  const token = bearer(header);
  if (!token) throw unauthorized('A JSON web token could not be decoded');
  let claims: jwt.JwtPayload;
  try {
    const verified = jwt.verify(token, options.publicKeyPem, {
      algorithms: ['RS256'],
      clockTimestamp: Math.floor(options.now.getTime() / 1000),
      clockTolerance: 60,
    });
    if (typeof verified === 'string') throw new Error('payload is not an object');
    claims = verified;
  } catch {
    throw unauthorized('A JSON web token could not be decoded');
  }
  if (String(claims.iss) !== String(options.appId)) throw unauthorized("'Issuer' claim ('iss') must be the app id");
  if (typeof claims.iat !== 'number' || typeof claims.exp !== 'number' || claims.exp - claims.iat > MAX_JWT_LIFETIME_S + 60) {
    throw unauthorized('The JSON web token must carry iat and exp no more than ten minutes apart');
  }
}

/** Finds the installation token in the `Authorization` header; 401 when absent, unknown or expired. */
export function requireInstallationToken(state: GitHubState, header: string | string[] | undefined): InstallationToken {
  const token = bearer(header);
  if (!token) throw new GitHubApiError(401, 'Requires authentication');
  const record = state.tokens.get(token);
  if (!record || record.expiresAt.getTime() <= state.tokenNow().getTime()) throw unauthorized();
  const installation = state.installations.get(record.installationId);
  if (!installation || installation.suspended) throw unauthorized();
  return record;
}

export function hasLevel(granted: AccessLevel | undefined, wanted: AccessLevel): boolean {
  return granted !== undefined && LEVELS[granted] >= LEVELS[wanted];
}

/** 403 like GitHub when the token lacks every alternative of `need`. */
export function requirePermission(token: InstallationToken, need: PermissionNeed): void {
  if (need.length === 0) return;
  if (need.some(([name, level]) => hasLevel(token.permissions[name], level))) return;
  throw new GitHubApiError(403, 'Resource not accessible by integration');
}

/** Whether the token can see this repository (its installation covers it and any repository scope includes it). */
export function tokenCoversRepo(state: GitHubState, token: InstallationToken, repo: Repo): boolean {
  if (repo.installationId !== token.installationId) return false;
  const installation = state.installations.get(token.installationId);
  if (!installation) return false;
  if (installation.repositorySelection === 'selected' && !installation.repositoryIds.includes(repo.id)) return false;
  return token.repositoryIds === null || token.repositoryIds.includes(repo.id);
}

export function installationRepos(state: GitHubState, installation: Installation): Repo[] {
  return [...state.repos.values()].filter(
    (repo) =>
      repo.installationId === installation.id &&
      (installation.repositorySelection === 'all' || installation.repositoryIds.includes(repo.id)),
  );
}

export interface TokenRequest {
  repositories?: unknown;
  repository_ids?: unknown;
  permissions?: unknown;
}

/** Issues a `ghs_` token, narrowed to the requested repositories and permissions when given. */
export function issueInstallationToken(state: GitHubState, installation: Installation, request: TokenRequest): InstallationToken {
  const available = installationRepos(state, installation);
  let repositoryIds: number[] | null = null;
  const names = request.repositories;
  const ids = request.repository_ids;
  if (names !== undefined || ids !== undefined) {
    if ((names !== undefined && !Array.isArray(names)) || (ids !== undefined && !Array.isArray(ids))) {
      throw new GitHubApiError(422, 'Invalid request.\n\nrepositories and repository_ids must be arrays.');
    }
    const wantedNames = ((names as unknown[] | undefined) ?? []).map((n) => String(n).toLowerCase());
    const wantedIds = ((ids as unknown[] | undefined) ?? []).map((n) => Number(n));
    const picked = available.filter((r) => wantedNames.includes(r.name.toLowerCase()) || wantedIds.includes(r.id));
    if (picked.length !== wantedNames.length + wantedIds.length) {
      throw new GitHubApiError(
        422,
        'There is at least one repository that does not exist or is not accessible to the parent installation.',
      );
    }
    repositoryIds = picked.map((r) => r.id);
  }
  let permissions: PermissionSet = { ...installation.permissions };
  if (request.permissions !== undefined) {
    if (!request.permissions || typeof request.permissions !== 'object') {
      throw new GitHubApiError(422, 'Invalid request.\n\npermissions must be an object.');
    }
    permissions = {};
    for (const [name, level] of Object.entries(request.permissions as Record<string, unknown>)) {
      if ((level !== 'read' && level !== 'write' && level !== 'admin') || !hasLevel(installation.permissions[name], level)) {
        throw new GitHubApiError(422, 'The permissions requested are not granted to this installation.');
      }
      permissions[name] = level;
    }
    permissions.metadata ??= 'read';
  }
  const token: InstallationToken = {
    token: `ghs_${randomBytes(18).toString('base64url').replace(/[-_]/g, 'x').slice(0, 36)}`,
    installationId: installation.id,
    expiresAt: new Date(state.tokenNow().getTime() + TOKEN_TTL_MS),
    repositoryIds,
    permissions,
  };
  state.tokens.set(token.token, token);
  return token;
}
