import { ConflictError } from '../../errors/index.js';
import { isTerminal } from '../../domain/run-status.js';
import type { ClaimIntent, ClaimResult } from '../store.js';
import { clone } from './codec.js';
import { newRunFromIntent } from './run-records.js';
import type { StoreContext } from './store-context.js';

const DEFAULT_DEDUP_KEY_TTL_MS = 7 * 24 * 3600_000;

/** A claim whose history check went stale while it waited for its commit: try again. */
export const RECHECK = Symbol('recheck');

export type ClaimOutcome = ClaimResult | { existingId: string } | typeof RECHECK;

/**
 * One attempt at claiming. A caller-chosen id must be new to history too:
 * history on disk is asked before the commit (a commit cannot wait for a
 * read), and runs that entered history since are still held in memory, unless
 * an index segment moved to disk meanwhile, which sends the claim round again.
 */
export async function claimTicketOnce(ctx: StoreContext, intent: ClaimIntent): Promise<ClaimOutcome> {
  const generation = ctx.runCatalog.generation;
  const inHistory = intent.id !== undefined && (await ctx.runCatalog.find(intent.id)) !== undefined;
  return ctx.queue.submit((tx): ClaimOutcome => {
    const doc = tx.doc;
    const now = ctx.clock();
    if (intent.dedupKey) {
      const key = doc.claimKeys[intent.dedupKey];
      if (key && key.expiresAt > now) return { existingId: key.runId };
    }
    // A shadow leg runs beside its primary: each kind has its own live slot.
    const shadow = intent.shadowOf !== undefined;
    const live = Object.values(doc.runs).find(
      (r) => r.issueId === intent.issueId && r.phase === intent.phase && (r.shadowOf !== undefined) === shadow && !isTerminal(r.status),
    );
    if (live) return { claimed: false, existing: clone(live) };
    const id = intent.id ?? ctx.newId();
    if (doc.runs[id] || inHistory || ctx.runCatalog.recent(id)) throw new ConflictError(`run ${id} already exists`);
    if (intent.id !== undefined && ctx.runCatalog.generation !== generation) return RECHECK;
    const run = newRunFromIntent(intent, id, now);
    doc.runs[id] = run;
    doc.steps[id] = [];
    if (intent.dedupKey) {
      const ttl = intent.dedupKeyTtlMs ?? DEFAULT_DEDUP_KEY_TTL_MS;
      doc.claimKeys[intent.dedupKey] = { runId: id, expiresAt: now + ttl };
    }
    return { claimed: true, run: clone(run) };
  });
}
