import type { BlockersView as BlockersData } from '../../../admin/work-views.js';
import { BLOCKER_EXPLANATIONS, type BlockerReason } from '../../../domain/plan-dispatch.js';
import { timeAgo } from '../format.js';
import type { EmptyState, Kpi } from './kpi.js';

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
  budget: 'spend limit',
  concurrency: 'concurrency cap',
  dedup: 'dedup window',
  'blocked-by-dependency': 'blocked by another ticket',
  'retry-limit': 'retry limit',
  'planning-pending': 'plan awaits approval',
};

/** The Blockers panel: the shared Blockers query (the last full cycle's plan says why each ticket waits), in words. */
export function buildBlockers(data: BlockersData, now: number): BlockersView {
  const { kpis } = data;
  return {
    kpis: [
      { label: 'Blocked issues', value: kpis.total, tone: kpis.total ? 'warn' : 'ok' },
      { label: 'Teams affected', value: kpis.teamsAffected },
      { label: 'By concurrency cap', value: kpis.byConcurrency, tone: kpis.byConcurrency ? 'warn' : 'muted' },
      { label: 'By dedup window', value: kpis.byDedup, tone: kpis.byDedup ? 'warn' : 'muted' },
    ],
    rows: data.blockers.map((b) => ({
      identifier: b.identifier,
      title: b.title,
      url: b.url,
      // An unmapped ticket has no project; its tracker team is the best name to show.
      mapping: b.mapping ?? b.teamKey,
      reason: b.reason,
      reasonLabel: REASON_LABELS[b.reason],
      detail: b.detail,
      why: b.explanation,
    })),
    empty: data.cycleAt
      ? { title: 'Nothing is blocked.', next: 'Every eligible ticket of the last poll was started or is running.' }
      : { title: 'The first poll has not finished yet.', next: 'Reload in a moment; blockers are computed by each poll.' },
    ...(data.cycleAt ? { cycleAt: timeAgo(data.cycleAt, now) } : {}),
    explanations: (Object.keys(BLOCKER_EXPLANATIONS) as BlockerReason[]).map((reason) => ({ reason: REASON_LABELS[reason], text: BLOCKER_EXPLANATIONS[reason] })),
  };
}
