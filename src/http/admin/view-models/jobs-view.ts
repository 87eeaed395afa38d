import { RUN_STATUSES, TRIGGER_SOURCES, type RunBackend, type RunStatus, type TriggerSource } from '../../../domain/run.js';
import type { RunQuery } from '../../../store/store.js';
import { BACKEND_LABELS, formatTime } from '../format.js';
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
  from: string;
  to: string;
  active: boolean;
}

export interface JobsView {
  rows: RunRow[];
  total: number;
  shown: number;
  filters: JobsFilters;
  empty: EmptyState;
  /** The New run form is shown when runs can be started from here. */
  canStart: boolean;
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

/** The dispatch log: newest first, filtered in the store so 100k runs cost one indexed page. */
export async function buildJobs(ctx: PanelContext): Promise<JobsView> {
  const { store } = ctx.deps;
  const mappings = await mappingIndex(store.mappings.list());
  const status = pick(STATUSES, ctx.query.status);
  const backend = pick(BACKENDS, ctx.query.runner);
  const trigger = pick(TRIGGERS, ctx.query.trigger);
  const mappingKey = ctx.query.mapping && mappings.has(ctx.query.mapping) ? ctx.query.mapping : undefined;
  const from = DAY.test(ctx.query.from ?? '') ? (ctx.query.from as string) : '';
  const to = DAY.test(ctx.query.to ?? '') ? (ctx.query.to as string) : '';
  const query: Omit<RunQuery, 'limit' | 'cursor'> = {
    ...(status ? { status } : {}),
    ...(backend ? { backend } : {}),
    ...(trigger ? { triggerSource: trigger } : {}),
    ...(mappingKey ? { mappingKey } : {}),
    ...(from ? { from: `${from}T00:00:00.000Z` } : {}),
    // The "to" day is inclusive for the operator, so the bound is the next midnight.
    ...(to ? { to: new Date(Date.parse(`${to}T00:00:00.000Z`) + 86_400_000).toISOString() } : {}),
  };
  const [page, total, interrupted] = await Promise.all([store.runs.listRuns({ ...query, limit: JOBS_LIMIT }), store.runs.countRuns(query), interruptedRows(ctx)]);
  const active = Boolean(status || backend || trigger || mappingKey || from || to);
  return {
    rows: page.items.map((r) => toRunRow(r, mappings, ctx.now)),
    canStart: ctx.deps.runActions !== undefined && mappings.size > 0,
    interrupted,
    total,
    shown: page.items.length,
    filters: {
      status: options(STATUSES, status),
      mapping: options([...mappings.keys()], mappingKey),
      runner: options(BACKENDS, backend, (v) => BACKEND_LABELS[v] ?? v),
      trigger: options(TRIGGERS, trigger),
      from,
      to,
      active,
    },
    empty: active
      ? { title: 'No dispatches match these filters.', next: 'Widen the date range or clear a filter.', href: '/admin/jobs', linkText: 'Clear filters' }
      : { title: 'Nothing has been dispatched yet.', next: 'Runs appear here as soon as a labelled ticket in a mapped team is picked up.', href: '/admin/issues', linkText: 'See the issues' },
  };
}
