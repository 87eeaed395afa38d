import { stat } from 'node:fs/promises';
import { relative } from 'node:path';
import type { Customization } from '../../../operations/list-customizations.js';
import type { CatalogReader } from '../catalog-reader.js';
import { formatTime, timeAgo, type Tone } from '../format.js';
import type { EmptyState } from './kpi.js';
import { optional, type PanelContext } from './panel-context.js';

export interface AuditView {
  dedup: { issueId: string; identifier: string; title: string; dispatchedAt: string; dispatchedAgo: string; expiresAt: string; failures: number; runHref: string }[];
  dedupEmpty: EmptyState;
  events: { at: string; actor: string; action: string; target: string; change: string }[];
  eventsEmpty: EmptyState;
  nextHref?: string;
  firstHref?: string;
}

export const AUDIT_PAGE_SIZE = 50;

/** Before → after in one short line; values are what the services recorded (never secret values). */
function describeChange(before: unknown, after: unknown): string {
  const show = (v: unknown) => (v === undefined ? '' : JSON.stringify(v).slice(0, 160));
  if (before === undefined && after === undefined) return '';
  if (before === undefined) return show(after);
  return `${show(before)} → ${show(after)}`;
}

export async function buildAudit(ctx: PanelContext): Promise<AuditView> {
  const { store } = ctx.deps;
  const cursor = ctx.query.cursor && ctx.query.cursor.length < 200 ? ctx.query.cursor : undefined;
  const [dedup, page] = await Promise.all([store.dedup.listActive(), store.audit.list({ limit: AUDIT_PAGE_SIZE, ...(cursor ? { cursor } : {}) })]);
  return {
    dedup: dedup
      .sort((a, b) => b.dispatchedAt.localeCompare(a.dispatchedAt))
      .map((d) => ({
        issueId: d.issueId,
        identifier: d.identifier,
        title: d.title ?? '',
        dispatchedAt: formatTime(d.dispatchedAt),
        dispatchedAgo: timeAgo(d.dispatchedAt, ctx.now),
        expiresAt: formatTime(d.expiresAt),
        failures: d.failures ?? 0,
        runHref: `/admin/runs/${encodeURIComponent(d.runId)}`,
      })),
    dedupEmpty: { title: 'The dedup window is empty.', next: 'Each dispatched ticket is kept here for the window so it is not picked up twice.' },
    events: page.items.map((e) => ({ at: formatTime(e.at), actor: e.actor, action: e.action, target: e.target, change: describeChange(e.before, e.after) })),
    eventsEmpty: { title: 'No audit events yet.', next: 'Changes made from these panels or the API (projects, settings, secrets by name) are recorded here.' },
    ...(page.nextCursor ? { nextHref: `/admin/audit?cursor=${encodeURIComponent(page.nextCursor)}#audit-trail` } : {}),
    ...(cursor ? { firstHref: '/admin/audit#audit-trail' } : {}),
  };
}

export interface CustomizationsView {
  rows: (Customization & { sizeText: string; modifiedText: string; statusTone: Tone })[];
  source: string;
  empty: EmptyState;
}

/** When custom/ cannot be listed, the runner catalog still knows every override of a pipeline or step. */
async function fromCatalog(catalogReader: CatalogReader, projectRoot: string): Promise<Customization[]> {
  const catalog = await catalogReader.catalog();
  const entries = [
    ...catalog.pipelines.filter((p) => p.status !== 'built-in').map((p) => ({ category: 'pipeline' as const, status: p.status, path: p.path, upstream: p.builtInPath })),
    ...catalog.steps.filter((s) => s.status !== 'built-in').map((s) => ({ category: 'step' as const, status: s.status, path: s.path, upstream: s.builtInPath })),
  ];
  return Promise.all(
    entries.map(async (e) => {
      const info = await stat(e.path);
      return {
        path: relative(projectRoot, e.path),
        category: e.category,
        status: e.status === 'override' ? 'override' : 'additive',
        ...(e.upstream ? { shadows: relative(projectRoot, e.upstream) } : {}),
        size: info.size,
        modifiedAt: info.mtime.toISOString(),
      } satisfies Customization;
    }),
  );
}

export async function buildCustomizations(ctx: PanelContext, catalogReader: CatalogReader): Promise<CustomizationsView> {
  const listed = await optional(() => ctx.deps.operations.customizations());
  const rows = listed.available ? listed.value : await fromCatalog(catalogReader, ctx.deps.projectRoot);
  return {
    rows: rows.map((r) => ({ ...r, sizeText: r.size < 1024 ? `${r.size} B` : `${(r.size / 1024).toFixed(1)} KiB`, modifiedText: formatTime(r.modifiedAt), statusTone: (r.status === 'override' ? 'warn' : r.status === 'additive' ? 'info' : 'muted') as Tone })),
    source: listed.available ? 'every file under custom/' : 'pipeline and step overrides under custom/ (from the runner catalog)',
    empty: { title: 'No customizations.', next: 'Put a pipeline in custom/pipelines/ or a step module in custom/steps/ to override or extend the built-ins; see custom/README.md.' },
  };
}
