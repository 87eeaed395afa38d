import type { AuditLog } from '../store/store.js';

export interface AdminChange {
  /** The admin session id: which login made the change. Never the token. */
  actor: string;
  /** Dotted verb, e.g. `mapping.update`, `settings.runnerMode`. */
  action: string;
  target: string;
  before?: unknown;
  after?: unknown;
}

/** Appends one admin mutation to the audit trail; awaited so an answered change is also a recorded one. */
export async function recordAdminChange(audit: AuditLog, clock: () => number, change: AdminChange): Promise<void> {
  await audit.append({
    at: new Date(clock()).toISOString(),
    actor: `admin-session:${change.actor}`,
    action: change.action,
    target: change.target,
    ...(change.before !== undefined ? { before: change.before } : {}),
    ...(change.after !== undefined ? { after: change.after } : {}),
  });
}
