import type { IntakeCycleResult, TicketRef } from './intake-cycle.js';

/**
 * The Issues and Blockers panels read the last full cycle. A webhook's targeted
 * evaluation knows better about the tickets it named, so its findings replace
 * theirs in that picture at once instead of waiting for the next poll: a ticket
 * that became eligible appears, one that stopped being eligible goes, and its
 * blockers are the evaluation's. A tracker the evaluation could not read keeps
 * what the full cycle saw.
 */
export function foldEvaluation(full: IntakeCycleResult, evaluated: IntakeCycleResult, only: readonly TicketRef[]): IntakeCycleResult {
  const unread = new Set(evaluated.errors.map((e) => e.tracker));
  const named = only.filter((ref) => !unread.has(ref.tracker));
  if (named.length === 0) return full;
  const isNamed = (tracker: string, ...ids: string[]): boolean => named.some((ref) => ref.tracker === tracker && ids.includes(ref.issueId));
  const seenNow = new Set(evaluated.candidates.map((c) => c.item.id));
  const stale = (tracker: string, id: string, identifier: string): boolean => isNamed(tracker, id, identifier) || seenNow.has(id);

  const candidates = [...full.candidates.filter((c) => !stale(c.item.tracker, c.item.id, c.item.identifier)), ...evaluated.candidates];
  const blockers = [...full.plan.blockers.filter((b) => !stale(b.tracker, b.issueId, b.identifier)), ...evaluated.plan.blockers];
  return { ...full, candidates, plan: { ...full.plan, blockers } };
}
