import { RUNNER_MODES } from '../../../config/index.js';
import { backendFor } from '../../../domain/plan-dispatch.js';
import { ACTIVE_RUN_STATUSES } from '../../../domain/run-status.js';
import { readRunnerMode, readSettings, type RunnerModeView, type SettingView } from '../../../admin/runtime-settings.js';
import type { ConfigCheck } from '../../../operations/config-status.js';
import type { SecretEntry } from '../../../operations/secrets-service.js';
import type { Session } from '../../../operations/sessions-service.js';
import { BACKEND_LABELS, formatDuration, formatTime, percent, statusTone, type Tone } from '../format.js';
import type { EmptyState, Kpi } from './kpi.js';
import { optional, type PanelContext } from './panel-context.js';

const DAY_MS = 24 * 3_600_000;

export function runtimeEnvOf(ctx: PanelContext) {
  const { config } = ctx.deps;
  return { runnerModeOverride: config.runnerModeOverride, flySessionsApp: config.fly.sessionsApp, flySessionsRegion: config.fly.sessionsRegion };
}

export function readMode(ctx: PanelContext): Promise<RunnerModeView> {
  return readRunnerMode(ctx.deps.store.settings, runtimeEnvOf(ctx));
}

export interface SessionRow extends Session {
  uptimeText: string;
  stateTone: Tone;
  confirmText: string;
}

export interface SessionsView {
  available: boolean;
  error?: string;
  rows: SessionRow[];
  empty: EmptyState;
}

export async function buildSessions(ctx: PanelContext): Promise<SessionsView> {
  const listed = await optional(listSessions(ctx));
  const rows = listed.available
    ? listed.value.map((s) => ({
        ...s,
        uptimeText: s.createdAt ? formatDuration(ctx.now - Date.parse(s.createdAt)) : '—',
        stateTone: statusTone(s.state),
        confirmText: `Destroy machine ${s.machineId}${s.issue ? ` and reset ${s.issue} (its in-progress marker is removed and it leaves the dedup window)` : ''}?`,
      }))
    : [];
  return {
    available: listed.available,
    ...(!listed.available && listed.error ? { error: listed.error } : {}),
    rows,
    empty: listed.available
      ? { title: 'No live Fly sessions.', next: 'Machines appear here while Fly runs are in progress (runner mode fly, or a project on Fly Machines).', href: '/admin/runners', linkText: 'Runner mode' }
      : { title: 'Fly sessions cannot be listed.', next: listed.error ? `Fly answered: ${listed.error}` : 'Set FLY_API_TOKEN to manage Fly Machines sessions.' },
  };
}

export interface RunnersView {
  kpis: Kpi[];
  mode: RunnerModeView;
  rows: { teamKey: string; configured: string; effective: string; inProgress: number; cap: number; percent: number }[];
  capacity: { used: number; total: number; percent: number };
  modes: readonly string[];
  empty: EmptyState;
}

export async function buildRunners(ctx: PanelContext): Promise<RunnersView> {
  const { store } = ctx.deps;
  const [mode, mappings, stats, reaper, sessions, flyRuns] = await Promise.all([
    readMode(ctx),
    store.mappings.list(),
    store.runs.stats(),
    store.reaper.summary(ctx.now - DAY_MS),
    optional(listSessions(ctx)),
    store.runs.listActiveRuns({ backend: 'fly-machines', status: ACTIVE_RUN_STATUSES }),
  ]);
  const rows = mappings.map((m) => {
    const inProgress = stats.inProgressByMapping[m.teamKey] ?? 0;
    const effective = backendFor(m, mode.effective);
    return { teamKey: m.teamKey, configured: BACKEND_LABELS[m.executionMode] ?? m.executionMode, effective: `${BACKEND_LABELS[effective] ?? effective}${mode.effective === 'shadow' ? ' + Fly shadow' : ''}`, inProgress, cap: m.maxInProgressAiIssues, percent: percent(inProgress, m.maxInProgressAiIssues) };
  });
  const used = rows.reduce((n, r) => n + r.inProgress, 0);
  const total = rows.reduce((n, r) => n + r.cap, 0);
  return {
    kpis: [
      { label: 'Runner mode', value: mode.effective, hint: mode.envOverride ? 'RUNNER_MODE is set (env lock)' : mode.stored ? 'set from the panel' : 'not set: each project’s own runner', tone: mode.envOverride ? 'warn' : 'info' },
      { label: 'Live Fly sessions', value: sessions.available ? sessions.value.length : flyRuns.length, hint: sessions.available ? 'machines started, starting or created' : 'Fly runs in progress (Fly not reachable)' },
      { label: 'Capacity', value: `${percent(used, total)}%`, hint: `${used} in progress of ${total}` },
      { label: 'Reaper destructions (24 h)', value: reaper.destroyed, hint: `${reaper.dryRun} dry-run` },
    ],
    mode,
    rows,
    capacity: { used, total, percent: percent(used, total) },
    modes: RUNNER_MODES,
    empty: { title: 'No projects, so nothing to run.', next: 'Create a project to choose its runner.', href: '/admin/projects/new', linkText: '+ New project' },
  };
}

export interface ReaperView {
  mode: RunnerModeView;
  modes: readonly string[];
  kpis: Kpi[];
  rules: { rule: string; description: string; count: number }[];
  recent: { at: string; rule: string; machineId: string; tenant: string; issue: string; ageSeconds: number; mode: string; tone: Tone }[];
  empty: EmptyState;
}

/** What each rule means, for operators reading the table (the rules themselves live in the reaper). */
const RULE_TEXT: Record<string, string> = {
  orphan: 'A live machine or workflow run with no run in the store, or one its run no longer owns.',
  'stale-terminal-job': 'The job is still alive although its run already finished.',
  'max-age-exceeded': 'The job outlived its project’s maxJobMinutes plus a grace period.',
  'issue-terminal': 'The ticket was completed, cancelled or deleted while the job ran.',
};

export async function buildReaper(ctx: PanelContext): Promise<ReaperView> {
  const { store } = ctx.deps;
  const [mode, summary, recent] = await Promise.all([readMode(ctx), store.reaper.summary(ctx.now - DAY_MS), store.reaper.listRecent(100)]);
  return {
    mode,
    modes: RUNNER_MODES,
    kpis: [
      { label: 'Actions (24 h)', value: summary.total },
      { label: 'Destroyed', value: summary.destroyed, tone: summary.destroyed ? 'warn' : 'muted' },
      { label: 'Dry-run', value: summary.dryRun },
    ],
    rules: Object.keys(RULE_TEXT).map((rule) => ({ rule, description: RULE_TEXT[rule] as string, count: summary.byRule[rule] ?? 0 })),
    recent: recent.map((a) => ({ at: formatTime(a.at), rule: a.rule, machineId: a.machineId, tenant: a.tenant, issue: a.issue, ageSeconds: a.ageSeconds, mode: a.mode, tone: statusTone(a.mode) })),
    empty: { title: 'The reaper has not acted yet.', next: 'It sweeps every few minutes; leftover machines and runs show here with the rule that matched.' },
  };
}

/** Names and dates only: the digest and the stored (prefixed) name are not for the page. */
export interface SecretRow {
  name: string;
  fingerprint: string;
  version: number;
  updatedAt: string;
  updatedBy: string;
}

export interface SecretsView {
  team?: string;
  teams: { teamKey: string; selected: boolean }[];
  global: { available: boolean; error?: string; rows: SecretRow[] };
  teamSecrets?: { available: boolean; error?: string; rows: SecretRow[] };
  canWrite: boolean;
}

export async function buildSecrets(ctx: PanelContext): Promise<SecretsView> {
  const mappings = await ctx.deps.store.mappings.list();
  const team = mappings.some((m) => m.teamKey === ctx.query.team) ? ctx.query.team : undefined;
  const { secrets } = ctx.deps.operations;
  const [global, teamList] = await Promise.all([optional(() => secrets.listGlobal()), team ? optional(() => secrets.listTeam(team)) : Promise.resolve(undefined)]);
  const section = (r: Awaited<ReturnType<typeof optional<SecretEntry[]>>>) =>
    r.available
      ? { available: true, rows: r.value.map((s) => ({ name: s.name, fingerprint: s.fingerprint, version: s.version, updatedAt: s.updatedAt, updatedBy: s.updatedBy })) }
      : { available: false, rows: [], ...(r.error ? { error: r.error } : {}) };
  return {
    ...(team ? { team } : {}),
    teams: mappings.map((m) => ({ teamKey: m.teamKey, selected: m.teamKey === team })),
    global: section(global),
    ...(teamList ? { teamSecrets: section(teamList) } : {}),
    canWrite: secrets.writable,
  };
}

export interface SettingsView {
  rows: (SettingView & { key: string; label: string; formValue: string })[];
  mode: RunnerModeView;
  checks: { available: boolean; rows: { name: string; ok: boolean; detail: string }[] };
}

const SETTING_LABELS: Record<string, string> = { flySessionsApp: 'Fly sessions app', flySessionsRegion: 'Fly sessions region' };

export async function buildSettings(ctx: PanelContext): Promise<SettingsView> {
  const [settings, mode, checks] = await Promise.all([readSettings(ctx.deps.store.settings, runtimeEnvOf(ctx)), readMode(ctx), optional(() => ctx.deps.operations.configStatus())]);
  return {
    rows: Object.entries(settings).map(([key, view]) => ({ ...view, key, label: SETTING_LABELS[key] ?? key, formValue: view.stored ?? '' })),
    mode,
    checks: checks.available ? { available: true, rows: checks.value.map(checkRow) } : { available: false, rows: [] },
  };
}

/** One line per check: a failing check carries its fix, which the operator reads right after the problem. */
function checkRow(check: ConfigCheck): { name: string; ok: boolean; detail: string } {
  return { name: check.name, ok: check.ok, detail: check.fix ? `${check.detail} ${check.fix}` : check.detail };
}

/** Fly sessions, or undefined when Fly is not configured (the panel says so). */
function listSessions(ctx: PanelContext): (() => Promise<Session[]>) | undefined {
  const { sessions } = ctx.deps.operations;
  return sessions && (() => sessions.list());
}
