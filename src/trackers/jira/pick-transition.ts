import type { TransitionTarget } from '../issue-tracker.js';

export interface JiraStatusRef {
  name: string;
  statusCategory?: { key: string } | null;
}

export interface JiraTransitionRef {
  id: string;
  name: string;
  to?: JiraStatusRef | null;
}

const TARGET_NAMES: Record<TransitionTarget, string[]> = {
  'in-progress': ['in progress'],
  'ready-for-review': ['in review', 'ready for review', 'review', 'code review'],
  done: ['done'],
};

const CANCELED = /cancel|won'?t|declined|rejected/i;

function wantedNames(target: TransitionTarget, stateName?: string): string[] {
  return stateName ? [stateName.toLowerCase()] : TARGET_NAMES[target];
}

/** True when the issue already sits in the status `target` would lead to. */
export function isAtTarget(status: JiraStatusRef | null | undefined, target: TransitionTarget, stateName?: string): boolean {
  if (!status) return false;
  if (wantedNames(target, stateName).includes(status.name.toLowerCase())) return true;
  // Without a named state, any done-category status (that is not a cancel) counts as done.
  return !stateName && target === 'done' && status.statusCategory?.key === 'done' && !CANCELED.test(status.name);
}

/**
 * The transition that reaches `target`, matched on the destination status
 * name first, then the transition's own name, then (without an explicit
 * `stateName`) the status category: indeterminate for in-progress, done for
 * done. Review has no category of its own, so it needs a matching name.
 */
export function pickTransition(
  transitions: readonly JiraTransitionRef[],
  target: TransitionTarget,
  stateName?: string,
): JiraTransitionRef | undefined {
  const names = wantedNames(target, stateName);
  const byStatus = names.map((n) => transitions.find((t) => t.to?.name.toLowerCase() === n)).find((t) => t !== undefined);
  if (byStatus) return byStatus;
  const byName = names.map((n) => transitions.find((t) => t.name.toLowerCase() === n)).find((t) => t !== undefined);
  if (byName || stateName) return byName;
  if (target === 'in-progress') {
    return transitions.find((t) => t.to?.statusCategory?.key === 'indeterminate' && !TARGET_NAMES['ready-for-review'].includes(t.to.name.toLowerCase()));
  }
  if (target === 'done') return transitions.find((t) => t.to?.statusCategory?.key === 'done' && !CANCELED.test(t.to.name));
  return undefined;
}
