import type { Mapping } from '../../../domain/mapping.js';
import type { Run } from '../../../domain/run.js';
import { isTerminal } from '../../../domain/run-status.js';
import type { RunStep } from '../../../domain/step.js';
import type { PipelineStep } from '../../../runner/pipeline-schema.js';
import { BACKEND_LABELS, formatDuration, formatTime, statusTone, type Tone } from '../format.js';
import { runDurationMs, toRunRow, type RunRow } from './run-row.js';
import { buildRunUsage, type RunUsageView } from './run-usage.js';
import { allowedRunActions, type RunAction } from '../../../domain/run-actions.js';
import { buildRunReport, hasReport } from '../../../domain/run-report.js';
import { buildRunReportView, type RunReportView } from './run-report-view.js';

export interface StepNode {
  id: string;
  type: string;
  status: string;
  tone: Tone;
  pending: boolean;
  durationText: string;
  logExcerpt?: string;
  output?: string;
  children: StepNode[];
}

export interface ProgressView {
  percent: number;
  done: number;
  total: number;
  label: string;
  terminal: boolean;
  status: string;
  statusTone: Tone;
  durationText: string;
}

export interface RunView {
  run: RunRow;
  heading: string;
  progress: ProgressView;
  steps: StepNode[];
  timeline: { at: string; text: string }[];
  inputs: { label: string; value: string }[];
  failure?: { step: string; reason: string };
  links: { label: string; href: string }[];
  eventsUrl: string;
  summary?: string;
  usage?: RunUsageView;
  /** A finished run's report (with its download links); absent while the run is live. */
  report?: RunReportView;
  /** Stop, retry and delete buttons for the actions the run's status allows (CSRF-protected forms, confirmed first). */
  actions: RunActionButton[];
}

export interface RunActionButton {
  action: RunAction;
  label: string;
  href: string;
  confirm: string;
  tone: 'danger' | 'plain';
}

const ACTION_BUTTONS: Record<RunAction, { label: string; confirm: (run: Run) => string; tone: RunActionButton['tone'] }> = {
  stop: { label: 'Stop', confirm: (run) => `Stop run ${run.id} of ${run.identifier}? Its job is cancelled and the run is marked failed.`, tone: 'danger' },
  restart: { label: 'Restart', confirm: (run) => `Restart the ${run.backend} job of run ${run.id}? Its runner starts over in the same job.`, tone: 'plain' },
  retry: { label: 'Retry', confirm: (run) => `Start a new ${run.phase} run for ${run.identifier}?`, tone: 'plain' },
  delete: { label: 'Delete', confirm: (run) => `Delete run ${run.id} of ${run.identifier} and its report? This cannot be undone.`, tone: 'danger' },
};

/** The buttons for what the run's status allows (`domain/run-actions.ts` decides, as the API does). */
export function buildRunActions(run: Run): RunActionButton[] {
  return allowedRunActions(run).map((action) => ({
    action,
    label: ACTION_BUTTONS[action].label,
    href: `/admin/runs/${encodeURIComponent(run.id)}/${action}`,
    confirm: ACTION_BUTTONS[action].confirm(run),
    tone: ACTION_BUTTONS[action].tone,
  }));
}

const FINISHED_STEP = new Set(['passed', 'failed', 'skipped', 'cancelled']);

/**
 * Progress counts top-level steps: the pipeline's plan for this phase plus any
 * step the runner reported that the plan did not list (a custom pipeline).
 */
export function buildProgress(run: Run, steps: readonly RunStep[], planned: readonly PipelineStep[], now: number): ProgressView {
  const top = steps.filter((s) => !s.parentId);
  const ids = new Set([...planned.map((p) => p.id), ...top.map((s) => s.id)]);
  const done = top.filter((s) => FINISHED_STEP.has(s.status)).length;
  const terminal = isTerminal(run.status);
  const total = Math.max(ids.size, 1);
  const percent = terminal ? 100 : Math.min(99, Math.round((done / total) * 100));
  const current = top.find((s) => s.status === 'running');
  return {
    percent,
    done: terminal ? total : done,
    total,
    label: terminal ? `Run ${run.status}` : current ? `${done} of ${total} steps done, running ${current.id}` : `${done} of ${total} steps done`,
    terminal,
    status: run.status,
    statusTone: statusTone(run.status),
    durationText: formatDuration(runDurationMs(run, now)),
  };
}

function stepDuration(step: RunStep, now: number): string {
  if (!step.startedAt) return '—';
  const end = step.finishedAt ? Date.parse(step.finishedAt) : step.status === 'running' ? now : Date.parse(step.updatedAt);
  return formatDuration(end - Date.parse(step.startedAt));
}

/** Reported steps as a tree (children by parentId), with the plan's not-yet-started steps as pending rows. */
export function buildStepTree(steps: readonly RunStep[], planned: readonly PipelineStep[], now: number): StepNode[] {
  const node = (s: RunStep): StepNode => ({
    id: s.id,
    type: s.type,
    status: s.status,
    tone: statusTone(s.status),
    pending: false,
    durationText: stepDuration(s, now),
    ...(s.logExcerpt ? { logExcerpt: s.logExcerpt } : {}),
    ...(s.output !== undefined ? { output: JSON.stringify(s.output, null, 2).slice(0, 4_000) } : {}),
    children: [],
  });
  const byId = new Map(steps.map((s) => [s.id, node(s)]));
  const roots: StepNode[] = [];
  for (const s of steps) {
    const n = byId.get(s.id) as StepNode;
    const parent = s.parentId ? byId.get(s.parentId) : undefined;
    if (parent) parent.children.push(n);
    else roots.push(n);
  }
  // Keep the pipeline's order; reported extras go after the planned steps.
  const order = new Map(planned.map((p, i) => [p.id, i]));
  roots.sort((a, b) => (order.get(a.id) ?? 1_000) - (order.get(b.id) ?? 1_000));
  for (const p of planned) {
    if (!byId.has(p.id)) roots.push({ id: p.id, type: p.uses, status: 'pending', tone: 'muted', pending: true, durationText: '—', children: [] });
  }
  roots.sort((a, b) => (order.get(a.id) ?? 1_000) - (order.get(b.id) ?? 1_000));
  return roots;
}

export function buildRunView(run: Run, steps: readonly RunStep[], planned: readonly PipelineStep[], mapping: Mapping | undefined, now: number, offerActions = false): RunView {
  const mappings = new Map(mapping ? [[mapping.teamKey, mapping]] : []);
  const row = toRunRow(run, mappings, now);
  const timeline: RunView['timeline'] = [{ at: run.createdAt, text: `claimed by ${run.triggerSource} (dispatch #${run.dispatchNumber}, attempt ${run.attempt})` }];
  if (run.startedAt) timeline.push({ at: run.startedAt, text: `runner started on ${BACKEND_LABELS[run.backend] ?? run.backend}` });
  for (const s of steps) {
    if (s.startedAt) timeline.push({ at: s.startedAt, text: `step ${s.id} started` });
    if (s.finishedAt) timeline.push({ at: s.finishedAt, text: `step ${s.id} ${s.status}` });
  }
  if (run.heartbeatAt && !isTerminal(run.status)) timeline.push({ at: run.heartbeatAt, text: 'last heartbeat' });
  // Every recorded status change, with its reason (runner text was cleaned on arrival; the template escapes it).
  for (const t of run.transitions ?? []) timeline.push({ at: t.at, text: `status ${t.from} → ${t.to}${t.reason ? ` (${t.reason})` : ''}` });
  if (run.finishedAt) timeline.push({ at: run.finishedAt, text: `run ${run.status}` });
  timeline.sort((a, b) => a.at.localeCompare(b.at));
  const links: RunView['links'] = [];
  const usage = buildRunUsage(run);
  if (run.upstreamUrl) links.push({ label: run.backend === 'github-actions' ? 'GitHub Actions run' : run.backend === 'fly-machines' ? 'Fly machine' : 'Runner', href: run.upstreamUrl });
  if (run.prUrl) links.push({ label: `Pull request${run.prNumber ? ` #${run.prNumber}` : ''}`, href: run.prUrl });
  if (run.retryOf) links.push({ label: `Retry of run ${run.retryOf}`, href: `/admin/runs/${encodeURIComponent(run.retryOf)}` });
  return {
    run: row,
    heading: `${run.identifier} · ${run.phase}`,
    progress: buildProgress(run, steps, planned, now),
    steps: buildStepTree(steps, planned, now),
    timeline: timeline.map((t) => ({ at: formatTime(t.at), text: t.text })),
    inputs: [
      { label: 'Ticket', value: `${run.identifier}${run.title ? ` — ${run.title}` : ''}` },
      { label: 'Project', value: mapping ? `${run.mappingKey} → ${mapping.owner}/${mapping.repo}@${mapping.defaultBranch}` : run.mappingKey },
      { label: 'Phase', value: run.phase },
      { label: 'Runner', value: `${BACKEND_LABELS[run.backend] ?? run.backend} (mode ${run.runnerMode})` },
      { label: 'Trigger', value: run.triggerSource },
      { label: 'Agent (configured)', value: mapping ? `${mapping.agentRuntime} on ${mapping.provider}${mapping.awsRegion ? ` (${mapping.awsRegion})` : ''}` : '—' },
      { label: 'Caps', value: mapping ? `${mapping.maxTurns} turns, ${mapping.maxIterations} iterations, ${mapping.maxJobMinutes} min` : '—' },
      { label: 'Machine / upstream id', value: run.upstreamId ?? '—' },
      { label: 'Session image', value: run.sessionImage ?? '—' },
      { label: 'Deadline', value: formatTime(run.deadlineAt) },
      { label: 'Last heartbeat', value: run.heartbeatAt ? formatTime(run.heartbeatAt) : 'none yet' },
      { label: 'Lease holder', value: run.claimedBy ?? (isTerminal(run.status) ? '— (finished)' : '—') },
      ...(run.instructions ? [{ label: 'Instructions', value: run.instructions }] : []),
      ...(run.shadowOf ? [{ label: 'Shadow of', value: run.shadowOf }] : []),
    ],
    ...(run.status === 'failed' || run.failureReason ? { failure: { step: run.failedStep ?? '—', reason: run.failureReason ?? 'No reason was reported.' } } : {}),
    links,
    eventsUrl: `/admin/runs/${encodeURIComponent(run.id)}/events`,
    ...(run.summary ? { summary: run.summary } : {}),
    ...(usage ? { usage } : {}),
    ...(hasReport(run) ? { report: buildRunReportView(buildRunReport(run, steps)) } : {}),
    actions: offerActions ? buildRunActions(run) : [],
  };
}
