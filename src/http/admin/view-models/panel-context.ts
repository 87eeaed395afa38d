import type { AdminDeps } from '../admin-deps.js';

/** What a view-model builder reads: the admin deps (store, operations, config), the time of the request and its query. */
export interface PanelContext {
  deps: AdminDeps;
  now: number;
  query: Record<string, string | undefined>;
  /** The email the operator said is theirs in this browser ("who am I"), for "My runs". */
  operator?: string;
}

/** Calls an optional operation; a missing one reads as "not available" instead of an error page. */
export async function optional<T>(call: (() => Promise<T>) | undefined): Promise<{ available: true; value: T } | { available: false; error?: string }> {
  if (!call) return { available: false };
  try {
    return { available: true, value: await call() };
  } catch (error) {
    return { available: false, error: error instanceof Error ? error.message : String(error) };
  }
}
