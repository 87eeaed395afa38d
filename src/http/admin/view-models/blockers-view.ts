import { BLOCKER_EXPLANATIONS, type BlockerReason } from '../../../domain/plan-dispatch.js';
import { timeAgo } from '../format.js';
import type { EmptyState, Kpi } from './kpi.js';
import type { PanelContext } from './panel-context.js';

export interface BlockerRow {
  identifier: string;
  title: string;
  url: string;
  mapping: string;
  reason: BlockerReason;
  reasonLabel: string;
  detail: string;
  why: string;
}

export interface BlockersView {
  kpis: Kpi[];
  rows: BlockerRow[];
  empty: EmptyState;
  cycleAt?: string;
  explanations: { reason: string; text: string }[];
}

const REASON_LABELS: Record<BlockerReason, string> = {
  'no-mapping': 'no project',
  paused: 'project paused',
  concurrency: 'concurrency cap',
  dedup: 'dedup window',
  'blocked-by-dependency': 'blocked by another ticket',
  'retry-limit': 'retry limit',
  'planning-pending': 'plan awaits approval',
};

/** The last full cycle's blockers: the plan already says why each ticket waits. */
export function buildBlockers(ctx: PanelContext): BlockersView {
  const cycle = ctx.deps.latestCycle();
  const blockers = cycle?.plan.blockers ?? [];
  const teams = new Set(blockers.map((b) => b.teamKey));
  const count = (reason: BlockerReason) => blockers.filter((b) => b.reason === reason).length;
  return {
    kpis: [
      { label: 'Blocked issues', value: blockers.length, tone: blockers.length ? 'warn' : 'ok' },
      { label: 'Teams affected', value: teams.size },
      { label: 'By concurrency cap', value: count('concurrency'), tone: count('concurrency') ? 'warn' : 'muted' },
      { label: 'By dedup window', value: count('dedup'), tone: count('dedup') ? 'warn' : 'muted' },
    ],
    rows: blockers.map((b) => ({
      identifier: b.identifier,
      title: b.title,
      url: b.url,
      mapping: b.mappingKey ?? b.teamKey,
      reason: b.reason,
      reasonLabel: REASON_LABELS[b.reason],
      detail: b.detail,
      why: BLOCKER_EXPLANATIONS[b.reason],
    })),
    empty: cycle
      ? { title: 'Nothing is blocked.', next: 'Every eligible ticket of the last poll was started or is running.' }
      : { title: 'The first poll has not finished yet.', next: 'Reload in a moment; blockers are computed by each poll.' },
    ...(cycle ? { cycleAt: timeAgo(cycle.at, ctx.now) } : {}),
    explanations: (Object.keys(BLOCKER_EXPLANATIONS) as BlockerReason[]).map((reason) => ({ reason: REASON_LABELS[reason], text: BLOCKER_EXPLANATIONS[reason] })),
  };
}
