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

export function capForPath(path: string, caps: readonly RouteCap[] = ROUTE_CAPS): number {
  for (const cap of caps) {
    if (cap.path.endsWith('/') ? path.startsWith(cap.path) : path === cap.path) return cap.bytes;
  }
  return DEFAULT_BODY_CAP;
}

export function formatBytes(bytes: number): string {
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes >= KiB && bytes % KiB === 0) return `${bytes / KiB} KiB`;
  return `${bytes} bytes`;
}
