import { countRunsByStatus } from '../../../admin/run-list.js';
import { RUN_STATUSES, TRIGGER_SOURCES, type RunBackend, type RunStatus, type TriggerSource } from '../../../domain/run.js';
import { ownerFromAssignee } from '../../../domain/run-owner.js';
import type { RunQuery } from '../../../store/store.js';
import { BACKEND_LABELS, formatTime, statusTone, type Tone } from '../format.js';
import type { EmptyState } from './kpi.js';
import type { PanelContext } from './panel-context.js';
import { mappingIndex, toRunRow, type RunRow } from './run-row.js';

export interface SelectOption {
  value: string;
  label: string;
  selected: boolean;
}

export interface JobsFilters {
  status: SelectOption[];
  mapping: SelectOption[];
  runner: SelectOption[];
  trigger: SelectOption[];
  runtime: string;
  owner: string;
  from: string;
  to: string;
  active: boolean;
}

/** A summary card: the count of one status over the other filters, a link that applies it. */
export interface StatusCard {
  status: RunStatus;
  count: number;
  href: string;
  tone: Tone;
  selected: boolean;
}

export interface JobsView {
  rows: RunRow[];
  total: number;
  shown: number;
  filters: JobsFilters;
  empty: EmptyState;
  /** The New run form is shown when runs can be started from here. */
  canStart: boolean;
  cards: StatusCard[];
  /** The next (older) page, keeping the filters. */
  olderHref?: string;
  /** The operator's own email in this browser, when they said it; "My runs" links to it. */
  operator?: string;
  myRunsHref?: string;
  /** The owner filter is "me" but the operator has not said who they are. */
  askWhoAmI: boolean;
  /** Runs crash recovery found with their job gone, newest first, each with its retry or a Retry button. */
  interrupted: InterruptedRow[];
}

export interface InterruptedRow {
  id: string;
  identifier: string;
  phase: string;
  at: string;
  href: string;
  /** The run recovery (or an operator) started for it; absent → the Retry button posts to `retryHref`. */
  retry?: { id: string; status: string; href: string };
  retryHref: string;
}

const runHref = (id: string) => `/admin/runs/${encodeURIComponent(id)}`;

/** The newest interrupted runs and, for each, the run that retries it (found among its ticket's runs by `retryOf`). */
async function interruptedRows(ctx: PanelContext): Promise<InterruptedRow[]> {
  const { store } = ctx.deps;
  const page = await store.runs.listRuns({ status: 'interrupted', limit: 20 });
  return Promise.all(
    page.items.map(async (run) => {
      const siblings = await store.runs.listRuns({ issueId: run.issueId, limit: 50 });
      const retry = siblings.items.find((r) => r.retryOf === run.id);
      return {
        id: run.id,
        identifier: run.identifier,
        phase: run.phase,
        at: formatTime(run.finishedAt ?? run.updatedAt),
        href: runHref(run.id),
        ...(retry ? { retry: { id: retry.id, status: retry.status, href: runHref(retry.id) } } : {}),
        retryHref: `${runHref(run.id)}/retry`,
      };
    }),
  );
}

export const JOBS_LIMIT = 500;
const STATUSES: readonly RunStatus[] = RUN_STATUSES.filter((s) => s !== 'deleted');
const BACKENDS: readonly RunBackend[] = ['github-actions', 'fly-machines', 'local'];
const TRIGGERS: readonly TriggerSource[] = TRIGGER_SOURCES;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

const pick = <T extends string>(allowed: readonly T[], value: string | undefined): T | undefined => (allowed as readonly string[]).includes(value ?? '') ? (value as T) : undefined;

const options = (values: readonly string[], selected: string | undefined, label: (v: string) => string = (v) => v): SelectOption[] => [
  { value: '', label: 'any', selected: !selected },
  ...values.map((v) => ({ value: v, label: label(v), selected: v === selected })),
];

/** `/admin/jobs?…` with these filters (empty ones left out). */
function jobsHref(params: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) search.set(k, v);
  const text = search.toString();
  return text ? `/admin/jobs?${text}` : '/admin/jobs';
}

/** The dispatch log: newest first, filtered in the store so 100k runs cost one indexed page, with a card per status. */
export async function buildJobs(ctx: PanelContext): Promise<JobsView> {
  const { store } = ctx.deps;
  const mappings = await mappingIndex(store.mappings.list());
  const status = pick(STATUSES, ctx.query.status);
  const backend = pick(BACKENDS, ctx.query.runner);
  const trigger = pick(TRIGGERS, ctx.query.trigger);
  const mappingKey = ctx.query.mapping && mappings.has(ctx.query.mapping) ? ctx.query.mapping : undefined;
  const runtime = /^[A-Za-z0-9._-]{1,100}$/.test(ctx.query.runtime ?? '') ? (ctx.query.runtime as string) : '';
  const ownerParam = (ctx.query.owner ?? '').trim();
  const askWhoAmI = ownerParam === 'me' && !ctx.operator;
  const owner = ownerParam === 'me' ? ctx.operator : ownerFromAssignee(ownerParam);
  const from = DAY.test(ctx.query.from ?? '') ? (ctx.query.from as string) : '';
  const to = DAY.test(ctx.query.to ?? '') ? (ctx.query.to as string) : '';
  const cursor = /^[A-Za-z0-9_-]{1,512}$/.test(ctx.query.cursor ?? '') ? ctx.query.cursor : undefined;
  const others: Omit<RunQuery, 'limit' | 'cursor' | 'status'> = {
    ...(backend ? { backend } : {}),
    ...(trigger ? { triggerSource: trigger } : {}),
    ...(mappingKey ? { mappingKey } : {}),
    ...(runtime ? { runtime } : {}),
    ...(owner ? { owner } : {}),
    ...(from ? { from: `${from}T00:00:00.000Z` } : {}),
    // The "to" day is inclusive for the operator, so the bound is the next midnight.
    ...(to ? { to: new Date(Date.parse(`${to}T00:00:00.000Z`) + 86_400_000).toISOString() } : {}),
  };
  const query: Omit<RunQuery, 'limit' | 'cursor'> = { ...others, ...(status ? { status } : {}) };
  const listed = async () => {
    try {
      return await store.runs.listRuns({ ...query, limit: JOBS_LIMIT, ...(cursor ? { cursor } : {}) });
    } catch {
      // A cursor from another filter or an old link: start from the newest instead of an error page.
      return store.runs.listRuns({ ...query, limit: JOBS_LIMIT });
    }
  };
  const [page, counts, interrupted] = await Promise.all([
    listed(),
    countRunsByStatus(store, {
      ...(mappingKey ? { mapping: mappingKey } : {}),
      ...(runtime ? { runtime } : {}),
      ...(trigger ? { source: trigger } : {}),
      ...(backend ? { backend } : {}),
      ...(owner ? { owner } : {}),
      ...(others.from !== undefined ? { from: Date.parse(String(others.from)) } : {}),
      ...(others.to !== undefined ? { to: Date.parse(String(others.to)) } : {}),
    }),
    interruptedRows(ctx),
  ]);
  const total = status ? counts[status] : STATUSES.reduce((n, s) => n + counts[s], 0);
  const active = Boolean(status || backend || trigger || mappingKey || runtime || ownerParam || from || to);
  const kept = { mapping: mappingKey, runner: backend, trigger, runtime, owner: ownerParam || undefined, from, to };
  return {
    rows: page.items.map((r) => toRunRow(r, mappings, ctx.now)),
    canStart: ctx.deps.runActions !== undefined && mappings.size > 0,
    interrupted,
    total,
    shown: page.items.length,
    cards: STATUSES.map((s) => ({ status: s, count: counts[s], tone: statusTone(s), selected: s === status, href: jobsHref({ ...kept, status: s === status ? undefined : s }) })),
    ...(page.nextCursor ? { olderHref: jobsHref({ ...kept, status, cursor: page.nextCursor }) } : {}),
    ...(ctx.operator ? { operator: ctx.operator, myRunsHref: jobsHref({ owner: 'me' }) } : {}),
    askWhoAmI,
    filters: {
      status: options(STATUSES, status),
      mapping: options([...mappings.keys()], mappingKey),
      runner: options(BACKENDS, backend, (v) => BACKEND_LABELS[v] ?? v),
      trigger: options(TRIGGERS, trigger),
      runtime,
      owner: ownerParam,
      from,
      to,
      active,
    },
    empty: active
      ? { title: 'No dispatches match these filters.', next: 'Widen the date range or clear a filter.', href: '/admin/jobs', linkText: 'Clear filters' }
      : { title: 'Nothing has been dispatched yet.', next: 'Runs appear here as soon as a labelled ticket in a mapped team is picked up.', href: '/admin/issues', linkText: 'See the issues' },
  };
}
