import type { TransitionTarget } from '../issue-tracker.js';

export interface TeamWorkflowState {
  id: string;
  name: string;
  type: string;
  position: number;
}

const REVIEW_NAMES = ['ready for review', 'in review'];

/**
 * Chooses the team workflow state for a transition target. Teams name their
 * states freely, so names are preferred and state types are the fallback:
 * - in-progress: the started state named "In Progress", else the first started one;
 * - ready-for-review: "Ready for Review" / "In Review", else the second started
 *   state, else the last started one (a one-step workflow has nowhere else);
 * - done: the first completed state.
 * An explicit `stateName` wins for any target; an unknown name gives undefined.
 */
export function pickWorkflowState(
  states: readonly TeamWorkflowState[],
  target: TransitionTarget,
  stateName?: string,
): TeamWorkflowState | undefined {
  const ordered = [...states].sort((a, b) => a.position - b.position);
  if (stateName) {
    const wanted = stateName.toLowerCase();
    return ordered.find((s) => s.name.toLowerCase() === wanted);
  }
  const started = ordered.filter((s) => s.type === 'started');
  switch (target) {
    case 'in-progress':
      return started.find((s) => s.name.toLowerCase() === 'in progress') ?? started[0];
    case 'ready-for-review':
      return (
        REVIEW_NAMES.map((name) => ordered.find((s) => s.name.toLowerCase() === name)).find((s) => s !== undefined) ??
        started[1] ??
        started[started.length - 1]
      );
    case 'done':
      return ordered.find((s) => s.type === 'completed');
  }
}
