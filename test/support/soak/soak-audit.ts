import { statusCommentKey } from '../../../src/orchestrator/status-comment.js';
import { linearCommentId } from '../../../src/trackers/linear/linear-comment-id.js';
import type { Run } from '../../../src/domain/run.js';
import { isTerminal } from '../../../src/domain/run-status.js';
import { DEFAULT_LINEAR_LABELS, markersFromLabels } from '../../../src/trackers/linear/linear-work-item.js';
import type { OrchestratorHarness } from '../orchestrator-harness.js';

/**
 * How a ticket ended, judged from the orchestrator's ledger, the ticket
 * itself (its labels in the Linear emulator) and GitHub:
 *
 * - `pr`: a run succeeded with a pull request, exactly that one PR exists
 *   for the ticket on GitHub, and the ticket shows `pr-ready`;
 * - `failed`: the newest run failed with a reason and the ticket is marked
 *   `needs-human` (the retry limit was reached);
 * - `backoff`: the newest run failed with a reason and the ticket waits out
 *   its retry back-off (or is due for its retry) — not ended yet;
 * - `lost`: anything else — never dispatched, a run still live, a failure
 *   without a reason, a success without its PR, a second PR.
 */
export type TicketEnd = 'pr' | 'failed' | 'backoff' | 'lost';

export interface SoakTicket {
  id: string;
  identifier: string;
}

export interface TicketVerdict {
  identifier: string;
  end: TicketEnd;
  runs: number;
  /** Pull requests on GitHub whose metadata marker names this ticket. */
  pulls: number;
  detail: string;
  /**
   * Why the ticket reads as still in progress although nothing runs: it keeps
   * the `working` marker, or a finished run's status comment still says it runs.
   */
  stale?: string;
}

export interface SoakAudit {
  verdicts: TicketVerdict[];
  counts: Record<TicketEnd, number>;
  /** PRs beyond the first for one ticket, summed over tickets. */
  duplicatePrs: number;
  /** Failed tickets that still have a PR on GitHub (opened by a job whose result was lost). */
  failedWithPr: number;
  liveRuns: number;
  /** Ended tickets that still read as in progress (see `TicketVerdict.stale`). */
  staleTickets: number;
  runsPerTicket: { mean: number; max: number };
}

const RETRY_LIMIT = 2;

export async function auditTickets(h: OrchestratorHarness, tickets: readonly SoakTicket[]): Promise<SoakAudit> {
  const { store } = h.orchestrator;
  const pullsByIssue = new Map<string, number>();
  for (const pull of h.github.state.pulls) {
    const issueId = /"issueId":"([^"]+)"/.exec(pull.body ?? '')?.[1];
    if (issueId) pullsByIssue.set(issueId, (pullsByIssue.get(issueId) ?? 0) + 1);
  }
  const verdicts: TicketVerdict[] = [];
  let liveRuns = 0;
  for (const ticket of tickets) {
    const runs = (await allRuns(h, ticket.id)).filter((r) => !r.shadowOf);
    liveRuns += runs.filter((r) => !isTerminal(r.status)).length;
    // Read from the emulator's own state: the audit must not spend the tracker's request budget.
    const labels = h.linear.labelNames(ticket.identifier);
    const dedup = await store.dedup.get(ticket.id);
    const pulls = pullsByIssue.get(ticket.id) ?? 0;
    const markers = markersFromLabels(DEFAULT_LINEAR_LABELS, labels);
    const stale = staleness(h, ticket, runs, markers);
    const verdict = (end: TicketEnd, detail: string): TicketVerdict => ({ identifier: ticket.identifier, end, runs: runs.length, pulls, detail, ...(stale && end !== 'lost' ? { stale } : {}) });

    const live = runs.find((r) => !isTerminal(r.status));
    const newest = runs[0];
    const succeeded = runs.filter((r) => r.status === 'pr_opened');
    if (!newest) verdicts.push(verdict('lost', 'never dispatched'));
    else if (live) verdicts.push(verdict('lost', `run ${live.id} still ${live.status}`));
    else if (succeeded.length > 0) {
      const urls = new Set(succeeded.map((r) => r.prUrl));
      if (newest.status !== 'pr_opened') verdicts.push(verdict('lost', `dispatched again after its PR (newest run ${newest.status})`));
      else if (urls.size !== 1 || urls.has(undefined)) verdicts.push(verdict('lost', `succeeded runs report ${[...urls].join(', ')}`));
      else if (pulls !== 1) verdicts.push(verdict('lost', `${pulls} PRs on GitHub`));
      else if (!markers.includes('pr-ready') || markers.includes('needs-human')) verdicts.push(verdict('lost', `PR open but the ticket shows ${markers.join(', ') || 'no marker'}`));
      else verdicts.push(verdict('pr', newest.prUrl ?? ''));
    } else if (newest.status !== 'failed' || !newest.failureReason) {
      // A cancelled run is no end for a ticket that still asks for work: nothing retries it before the dedup window closes.
      const why = newest.status === 'failed' ? 'failed without a reason' : `${newest.status} (${newest.failureReason ?? 'no reason'})`;
      verdicts.push(verdict('lost', `newest run ${why}; the ticket shows ${markers.join(', ') || 'no marker'}`));
    } else if (markers.includes('needs-human')) {
      const failures = dedup?.failures ?? 0;
      if (failures <= RETRY_LIMIT) verdicts.push(verdict('lost', `needs-human after only ${failures} failures`));
      else verdicts.push(verdict('failed', newest.failureReason.split('\n')[0] ?? ''));
    } else {
      const retry = dedup && dedup.failures ? `retry ${dedup.failures} of ${RETRY_LIMIT} after ${dedup.expiresAt}` : 'due for its retry';
      verdicts.push(verdict('backoff', `${retry}: ${newest.failureReason.split('\n')[0] ?? ''}`));
    }
  }
  const counts: Record<TicketEnd, number> = { pr: 0, failed: 0, backoff: 0, lost: 0 };
  for (const v of verdicts) counts[v.end] += 1;
  const runCounts = verdicts.map((v) => v.runs);
  return {
    verdicts,
    counts,
    duplicatePrs: verdicts.reduce((sum, v) => sum + Math.max(0, v.pulls - 1), 0),
    failedWithPr: verdicts.filter((v) => v.end === 'failed' && v.pulls > 0).length,
    liveRuns,
    staleTickets: verdicts.filter((v) => v.stale).length,
    runsPerTicket: { mean: runCounts.reduce((s, n) => s + n, 0) / Math.max(1, runCounts.length), max: Math.max(0, ...runCounts) },
  };
}

const LIVE_HEADLINE = /\*\*(⏳|⬜) /;

function staleness(h: OrchestratorHarness, ticket: SoakTicket, runs: Run[], markers: string[]): string | undefined {
  if (runs.some((r) => !isTerminal(r.status))) return undefined;
  if (markers.includes('working')) return 'still marked working';
  const comments = h.linear.commentsOn(ticket.identifier);
  for (const run of runs) {
    const comment = comments.find((c) => c.id === linearCommentId(run.issueId, statusCommentKey(run.id)));
    if (comment && LIVE_HEADLINE.test(comment.body)) return `the status comment of ${run.status} run ${run.id} still says it runs`;
  }
  return undefined;
}

/** Every run of a ticket, newest first. */
async function allRuns(h: OrchestratorHarness, issueId: string): Promise<Run[]> {
  const out: Run[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await h.orchestrator.store.runs.listRuns({ issueId, limit: 50, ...(cursor ? { cursor } : {}) });
    out.push(...page.items);
    if (!page.nextCursor) return out;
    cursor = page.nextCursor;
  }
}
