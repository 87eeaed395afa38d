import type { CatalogReader } from '../catalog-reader.js';
import { BACKEND_LABELS, percent, type Tone } from '../format.js';
import type { EmptyState, Kpi } from './kpi.js';
import type { PanelContext } from './panel-context.js';

export interface ProjectRow {
  teamKey: string;
  tracker: string;
  scope: string;
  repo: string;
  defaultBranch: string;
  runner: string;
  provider: string;
  inProgress: number;
  cap: number;
  capPercent: number;
  paused: boolean;
  stateLabel: string;
  stateTone: Tone;
  secretsHref: string;
}

export interface ProjectsView {
  rows: ProjectRow[];
  empty: EmptyState;
  canSync: boolean;
}

export async function buildProjects(ctx: PanelContext): Promise<ProjectsView> {
  const [mappings, stats] = await Promise.all([ctx.deps.store.mappings.list(), ctx.deps.store.runs.stats()]);
  return {
    rows: mappings.map((m) => {
      const inProgress = stats.inProgressByMapping[m.teamKey] ?? 0;
      return {
        teamKey: m.teamKey,
        tracker: m.trackerKind === 'jira' ? 'Jira' : 'Linear',
        scope: m.trackerKind === 'jira' ? (m.jira?.jql ?? '—') : `team ${m.linear?.teamKey ?? m.teamKey}${m.linear?.projectFilter ? `, project ${m.linear.projectFilter}` : ''}`,
        repo: `${m.owner}/${m.repo}`,
        defaultBranch: m.defaultBranch,
        runner: BACKEND_LABELS[m.executionMode] ?? m.executionMode,
        provider: m.provider,
        inProgress,
        cap: m.maxInProgressAiIssues,
        capPercent: percent(inProgress, m.maxInProgressAiIssues),
        paused: m.paused,
        stateLabel: m.paused ? 'paused' : inProgress >= m.maxInProgressAiIssues ? 'at cap' : 'active',
        stateTone: m.paused ? 'warn' : inProgress >= m.maxInProgressAiIssues ? 'warn' : 'ok',
        secretsHref: `/admin/secrets?team=${encodeURIComponent(m.teamKey)}`,
      };
    }),
    empty: { title: 'No projects yet.', next: 'Create one to connect a Linear team or a Jira JQL clause to a repository.', href: '/admin/projects/new', linkText: '+ New project' },
    canSync: Boolean(ctx.deps.operations.workflowSync),
  };
}

export interface CatalogView {
  pipelines: { name: string; status: string; statusTone: Tone; path: string; builtInPath?: string; error?: string; description: string; steps: { id: string; uses: string; condition: string }[] }[];
  steps: { id: string; builtInPath: string; customPath: string; status: string; statusTone: Tone }[];
}

const catalogTone = (status: string): Tone => (status === 'override' ? 'warn' : status === 'additive' ? 'info' : 'muted');

export async function buildCatalog(catalogReader: CatalogReader): Promise<CatalogView> {
  const catalog = await catalogReader.catalog();
  const pipelines = await Promise.all(
    catalog.pipelines.map(async (p) => {
      const detail = await catalogReader.pipeline(p.name);
      return {
        name: p.name,
        status: p.status,
        statusTone: catalogTone(p.status),
        path: p.path,
        ...(p.builtInPath ? { builtInPath: p.builtInPath } : {}),
        ...(p.error ? { error: p.error } : {}),
        description: detail?.description ?? '',
        steps: (detail?.steps ?? []).map((s) => ({ id: s.id, uses: s.uses, condition: s.if ?? '' })),
      };
    }),
  );
  return {
    pipelines,
    steps: catalog.steps.map((s) => ({
      id: s.id,
      builtInPath: s.status === 'additive' ? '—' : (s.builtInPath ?? s.path),
      customPath: s.status === 'built-in' ? '—' : s.path,
      status: s.status,
      statusTone: catalogTone(s.status),
    })),
  };
}

export interface ModelsView {
  kpis: Kpi[];
  rows: { teamKey: string; repo: string; provider: string; region: string; regionMissing: boolean; planning: string; runnerMode: string; runtime: string }[];
  empty: EmptyState;
}

export async function buildModels(ctx: PanelContext, effectiveRunnerMode: string): Promise<ModelsView> {
  const mappings = await ctx.deps.store.mappings.list();
  const bedrock = mappings.filter((m) => m.provider === 'bedrock');
  const regions = new Set(bedrock.map((m) => m.awsRegion).filter((r): r is string => Boolean(r)));
  return {
    kpis: [
      { label: 'Projects', value: mappings.length },
      { label: 'Anthropic', value: mappings.length - bedrock.length },
      { label: 'Bedrock', value: bedrock.length },
      { label: 'Bedrock regions', value: regions.size },
    ],
    rows: mappings.map((m) => ({
      teamKey: m.teamKey,
      repo: `${m.owner}/${m.repo}`,
      provider: m.provider,
      region: m.provider === 'bedrock' ? (m.awsRegion ?? 'missing') : '—',
      regionMissing: m.provider === 'bedrock' && !m.awsRegion,
      planning: m.planningEnabled ? (m.autoApprovePlans ? 'enabled, auto-approve' : 'enabled') : 'disabled',
      runnerMode: effectiveRunnerMode === 'default' ? (BACKEND_LABELS[m.executionMode] ?? m.executionMode) : `${effectiveRunnerMode} (override)`,
      runtime: m.agentRuntime,
    })),
    empty: { title: 'No projects to summarise.', next: 'Model IDs live in each repository’s WORKFLOW.md; create a project first.', href: '/admin/projects/new', linkText: '+ New project' },
  };
}
