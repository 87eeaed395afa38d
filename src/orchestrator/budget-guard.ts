import type { Logger } from 'pino';
import { findBudgetBreach, findStartRefusal, monthStartUtc, sumCostUsd, type BudgetBreach } from '../domain/budget.js';
import type { Mapping, TrackerKind } from '../domain/mapping.js';
import type { Run } from '../domain/run.js';
import { isTerminal } from '../domain/run-status.js';
import type { Clock, RunQuery, Store } from '../store/store.js';
import type { PendingTicketWrites } from './pending-ticket-writes.js';

/**
 * Spend limits at the two moments they matter: before a run starts (a ticket
 * or project already at its limit gets no new run) and whenever a running
 * run reports usage (past a limit it is stopped through the operator's own
 * stop command). Either way the ticket is told why and paused, and a record
 * of the pause is kept so the panels can offer to resume it.
 */

/** Settings key prefix of the paused-ticket records (one per ticket, so writers never collide). */
export const PAUSED_TICKET_PREFIX = 'budget.paused.';

export interface PausedTicket {
  issueId: string;
  identifier: string;
  tracker: TrackerKind;
  mappingKey: string;
  reason: string;
  pausedAt: string;
  runId?: string;
}

export interface BudgetGuardDeps {
  store: Store;
  clock: Clock;
  log: Logger;
  pending: PendingTicketWrites;
  /** The operator's stop command (`RunActions.stop`), bound once the commands exist; the reason becomes the run's failure reason. */
  stopRun: () => ((runId: string, reason: string) => Promise<unknown>) | undefined;
  /** How long the sum of a project's month is reused before it is read again (default 30 s). */
  monthCacheMs?: number;
}

export interface BudgetGuard {
  /** Everything a ticket's runs have spent (all phases, retries and review rounds). */
  ticketSpend(issueId: string): Promise<number>;
  /** A project's spend this calendar month (UTC). */
  monthSpend(mappingKey: string): Promise<number>;
  /** Why a new run of this ticket may not start (already at a limit); the ticket is paused and told. */
  refuseStart(mapping: Mapping, ticket: { issueId: string; identifier: string; tracker: TrackerKind }): Promise<BudgetBreach | undefined>;
  /** Checks a live run after its usage was recorded; past a limit it is stopped and its ticket paused. */
  checkRunning(run: Run): Promise<BudgetBreach | undefined>;
  /** Monthly limits reached, by project, for the planner. */
  overBudgetMappings(mappings: readonly Mapping[]): Promise<Map<string, string>>;
  listPaused(): Promise<PausedTicket[]>;
}

/** Every run a query matches, page by page (a ticket has few; a month is bounded by its window). */
async function allRuns(store: Store, query: Omit<RunQuery, 'limit' | 'cursor'>): Promise<Run[]> {
  const out: Run[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await store.runs.listRuns({ ...query, limit: 500, ...(cursor ? { cursor } : {}) });
    out.push(...page.items);
    if (!page.nextCursor) return out;
    cursor = page.nextCursor;
  }
}

export function createBudgetGuard(deps: BudgetGuardDeps): BudgetGuard {
  const { store, clock, log } = deps;
  const monthCacheMs = deps.monthCacheMs ?? 30_000;
  // Finished runs of the month change only by new finishes; live runs are summed fresh each time.
  const monthCache = new Map<string, { month: number; at: number; finishedUsd: number }>();

  async function ticketSpend(issueId: string): Promise<number> {
    return sumCostUsd(await allRuns(store, { issueId }));
  }

  async function monthSpend(mappingKey: string): Promise<number> {
    const now = clock();
    const month = monthStartUtc(now);
    let cached = monthCache.get(mappingKey);
    if (!cached || cached.month !== month || now - cached.at > monthCacheMs) {
      const finished = (await allRuns(store, { mappingKey, from: month })).filter((r) => isTerminal(r.status));
      cached = { month, at: now, finishedUsd: sumCostUsd(finished) };
      monthCache.set(mappingKey, cached);
    }
    const live = (await store.runs.listActiveRuns({ mappingKey })).filter((r) => Date.parse(r.createdAt) >= month);
    return sumCostUsd([{ costUsd: cached.finishedUsd }, ...live]);
  }

  async function pause(ticket: PausedTicket, comment: { key: string; body: string }): Promise<void> {
    await store.settings.set(PAUSED_TICKET_PREFIX + ticket.issueId, ticket);
    const base = { tracker: ticket.tracker, issueId: ticket.issueId, runId: ticket.runId ?? `budget:${ticket.issueId}` };
    const warnings = await deps.pending.apply([
      { ...base, op: 'add-marker', marker: 'paused' },
      { ...base, op: 'comment', key: comment.key, body: comment.body },
    ]);
    for (const warning of warnings) log.warn({ issue: ticket.identifier, warning }, 'ticket pause not written yet; it is retried');
    await store.audit.append({
      at: new Date(clock()).toISOString(),
      actor: 'orchestrator',
      action: 'ticket.pause',
      target: `ticket:${ticket.identifier}`,
      after: { mapping: ticket.mappingKey, reason: ticket.reason, ...(ticket.runId ? { runId: ticket.runId } : {}) },
    });
  }

  const resumeHint = (mappingKey: string) =>
    `An operator can raise the limit (PATCH /api/mappings/${mappingKey} with a new "budget") and resume the ticket from the Blockers panel or POST /api/tickets/<ticket>/resume.`;

  return {
    ticketSpend,
    monthSpend,

    async refuseStart(mapping, ticket) {
      if (!mapping.budget) return undefined;
      const breach = findStartRefusal(mapping.budget, { ticketUsd: await ticketSpend(ticket.issueId), monthUsd: await monthSpend(mapping.teamKey) }, { ticket: ticket.identifier, mapping: mapping.teamKey });
      if (!breach) return undefined;
      // The monthly limit holds the whole project (the planner says so for each ticket); a ticket's own limit pauses it.
      if (breach.limit === 'perTicketUsd') {
        await pause(
          { issueId: ticket.issueId, identifier: ticket.identifier, tracker: ticket.tracker, mappingKey: mapping.teamKey, reason: breach.reason, pausedAt: new Date(clock()).toISOString() },
          { key: `budget-refused:${ticket.issueId}`, body: `⏸️ AI-Implement did not start a new run: ${breach.reason}. The ticket is paused.\n\n${resumeHint(mapping.teamKey)}` },
        );
      }
      log.info({ issue: ticket.identifier, mapping: mapping.teamKey, limit: breach.limit, spentUsd: breach.spentUsd }, 'run refused by a spend limit');
      return breach;
    },

    async checkRunning(run) {
      if (run.shadowOf || isTerminal(run.status)) return undefined;
      const mapping = await store.mappings.get(run.mappingKey);
      if (!mapping?.budget) return undefined;
      const breach = findBudgetBreach(
        mapping.budget,
        { ...(run.costUsd !== undefined ? { runUsd: run.costUsd } : {}), ticketUsd: await ticketSpend(run.issueId), monthUsd: await monthSpend(run.mappingKey) },
        { run: run.id, ticket: run.identifier, mapping: run.mappingKey },
      );
      if (!breach) return undefined;
      const stop = deps.stopRun();
      if (!stop) {
        log.warn({ runId: run.id, reason: breach.reason }, 'a run passed a spend limit before the stop command was ready');
        return breach;
      }
      await stop(run.id, `Stopped by a spend limit: ${breach.reason}`);
      await pause(
        { issueId: run.issueId, identifier: run.identifier, tracker: run.tracker, mappingKey: run.mappingKey, reason: breach.reason, pausedAt: new Date(clock()).toISOString(), runId: run.id },
        { key: `budget-stop:${run.id}`, body: `⏸️ AI-Implement stopped run ${run.id} (${run.phase}): ${breach.reason}. The ticket is paused and no new run starts.\n\n${resumeHint(run.mappingKey)}` },
      );
      log.warn({ runId: run.id, issue: run.identifier, limit: breach.limit, spentUsd: breach.spentUsd, limitUsd: breach.limitUsd }, 'run stopped by a spend limit');
      return breach;
    },

    async overBudgetMappings(mappings) {
      const out = new Map<string, string>();
      for (const mapping of mappings) {
        const limit = mapping.budget?.monthlyUsd;
        if (limit === undefined) continue;
        const breach = findStartRefusal({ monthlyUsd: limit }, { ticketUsd: 0, monthUsd: await monthSpend(mapping.teamKey) }, { ticket: '', mapping: mapping.teamKey });
        if (breach) out.set(mapping.teamKey, breach.reason);
      }
      return out;
    },

    async listPaused() {
      const all = await store.settings.all();
      return Object.entries(all)
        .filter(([key]) => key.startsWith(PAUSED_TICKET_PREFIX))
        .map(([, value]) => value as PausedTicket)
        .sort((a, b) => b.pausedAt.localeCompare(a.pausedAt));
    },
  };
}
