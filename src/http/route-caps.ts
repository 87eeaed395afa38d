/** Byte caps per route, enforced while the body streams in (before buffering). */

const KiB = 1024;
const MiB = 1024 * KiB;

export interface RouteCap {
  /** Exact path, or a prefix when it ends with `/`. */
  path: string;
  bytes: number;
}

export const ROUTE_CAPS: readonly RouteCap[] = [
  { path: '/api/github/webhook', bytes: 25 * MiB },
  { path: '/webhooks/linear', bytes: 5 * MiB },
  { path: '/webhooks/jira', bytes: 5 * MiB },
  { path: '/runner/result', bytes: 1 * MiB },
  { path: '/runner/progress', bytes: 64 * KiB },
  { path: '/runner/token', bytes: 16 * KiB },
  { path: '/api/auth', bytes: 16 * KiB },
  { path: '/trigger/', bytes: 16 * KiB },
];

/** Any other route that takes a body (admin forms, `/api` JSON). */
export const DEFAULT_BODY_CAP = 1 * MiB;

/**
 * A path as the router matches it: express routes case-insensitively and
 * ignores a trailing slash, so `/RUNNER/PROGRESS/` reaches `/runner/progress`
 * and must meet its cap, not the default. Stripping every trailing slash only
 * ever gives a path a smaller cap than the default, never a larger one.
 */
export function routedPathOf(path: string): string {
  const lower = path.toLowerCase();
  const trimmed = lower.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}

export function capForPath(path: string, caps: readonly RouteCap[] = ROUTE_CAPS): number {
  const routed = routedPathOf(path);
  for (const cap of caps) {
    if (cap.path.endsWith('/') ? routed.startsWith(cap.path) : routed === cap.path) return cap.bytes;
  }
  return DEFAULT_BODY_CAP;
}

export function formatBytes(bytes: number): string {
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes >= KiB && bytes % KiB === 0) return `${bytes / KiB} KiB`;
  return `${bytes} bytes`;
}
