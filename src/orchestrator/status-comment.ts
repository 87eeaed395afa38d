import { isTerminal } from '../domain/run-status.js';
import { describeRunUsage } from '../domain/describe-usage.js';
import type { RunAgent, RunPhase, RunStatus, TokenUsage } from '../domain/run.js';
import { cutText, fenceCode } from '../domain/sanitize-agent-text.js';
import type { StepStatus } from '../domain/step.js';

/** Marker key of the one status comment a run keeps on its ticket. */
export function statusCommentKey(runId: string): string {
  return `run-status:${runId}`;
}

export interface PlannedStep {
  id: string;
  type: string;
  title?: string;
}

export interface ReportedStep {
  id: string;
  type: string;
  status: StepStatus;
  parentId?: string;
  title?: string;
}

/** Everything the status comment shows, prepared by the caller so rendering stays pure. */
export interface StatusCommentView {
  runId: string;
  identifier: string;
  phase: RunPhase;
  status: RunStatus;
  attempt: number;
  plannedSteps: readonly PlannedStep[];
  steps: readonly ReportedStep[];
  /** Epoch ms the run started (or was created); elapsed is measured from here. */
  startedAtMs: number;
  /** Epoch ms of now, or of the finish for a finished run. */
  nowMs: number;
  prUrl?: string;
  failureReason?: string;
  failedStep?: string;
  /** The agent that did the work and what it used, as the runner reported them (already cleaned on arrival). */
  agent?: RunAgent;
  tokens?: TokenUsage;
  costUsd?: number;
}

/** The CLI's reason under a failure is a few lines, its end kept: that is where CLIs say why. */
const FAILURE_DETAIL_LIMITS = { maxLines: 10, maxChars: 1_500, keep: 'tail' } as const;

export type ChecklistState = StepStatus | 'pending';

const ICONS: Record<ChecklistState, string> = {
  passed: '✅',
  failed: '❌',
  skipped: '⏭',
  running: '⏳',
  pending: '⬜',
  cancelled: '🚫',
};

const HEADLINES: Record<RunStatus, string> = {
  queued: '⬜ Queued',
  claimed: '⏳ Starting',
  launching: '⏳ Starting',
  running: '⏳ Running',
  retrying: '⏳ Retrying',
  pr_opened: '✅ Succeeded',
  succeeded: '✅ Succeeded',
  failed: '❌ Failed',
  timed_out: '⌛ Timed out',
  cancelled: '🚫 Cancelled',
  interrupted: '⚠️ Interrupted',
  deleted: '🗑️ Deleted',
};

const PHASE_NAMES: Record<RunPhase, string> = {
  plan: 'Planning',
  implement: 'Implementation',
  'gap-fill': 'Gap fill',
  'review-feedback': 'Review feedback',
};

/** `1h 02m`, `3m 05s`, `42s`: coarse enough to read at a glance. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(s).padStart(2, '0')}s`;
  return `${s}s`;
}

interface ChecklistLine {
  depth: number;
  state: ChecklistState;
  label: string;
}

/**
 * Planned steps in pipeline order (pending until reported), then steps the
 * plan did not list; a child step sits under its parent.
 */
export function buildChecklist(planned: readonly PlannedStep[], reported: readonly ReportedStep[]): ChecklistLine[] {
  const byId = new Map(reported.map((s) => [s.id, s]));
  const top: Array<{ id: string; type: string; title: string | undefined }> = planned.map((p) => ({
    id: p.id,
    type: p.type,
    title: p.title ?? byId.get(p.id)?.title,
  }));
  const plannedIds = new Set(planned.map((p) => p.id));
  for (const step of reported) {
    if (!plannedIds.has(step.id) && !(step.parentId && byId.has(step.parentId))) top.push({ id: step.id, type: step.type, title: step.title });
  }
  const lines: ChecklistLine[] = [];
  for (const entry of top) {
    lines.push({ depth: 0, state: byId.get(entry.id)?.status ?? 'pending', label: entry.title ?? entry.type });
    for (const child of reported) {
      if (child.parentId === entry.id && !plannedIds.has(child.id)) {
        lines.push({ depth: 1, state: child.status, label: child.title ?? child.type });
      }
    }
  }
  return lines;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}


/**
 * The failure's first line (the step's summary) in the sentence; the lines
 * after it (the agent CLI's own reason) in a code block, so whatever Markdown
 * the CLI printed stays inert, cut to its last few lines.
 */
function renderFailure(view: StatusCommentView): string[] {
  const where = view.failedStep ? ` (step \`${oneLine(view.failedStep).replace(/`/g, "'")}\`)` : '';
  const reason = view.failureReason ?? '';
  const [first = '', ...rest] = reason.split('\n');
  const line = oneLine(first);
  // A first line too long for a sentence goes whole into the block below, after a shortened headline.
  const long = line.length > 300;
  const headline = long ? `${line.slice(0, 300)}…` : line || 'no reason was reported';
  const detail = cutText((long ? reason : rest.join('\n')).trim(), FAILURE_DETAIL_LIMITS);
  return detail ? [`Failure${where}: ${headline}`, fenceCode(detail)] : [`Failure${where}: ${headline}`];
}

/** The Markdown of a run's status comment. Pure: same view, same text, so an unchanged comment is not rewritten. */
export function renderStatusComment(view: StatusCommentView): string {
  const out: string[] = [];
  out.push(`### AI-Implement · ${PHASE_NAMES[view.phase]} · ${view.identifier}`);
  const attempt = view.attempt > 1 ? ` · attempt ${view.attempt}` : '';
  out.push(`**${HEADLINES[view.status]}** · ${formatElapsed(view.nowMs - view.startedAtMs)}${attempt}`);
  const checklist = buildChecklist(view.plannedSteps, view.steps);
  if (checklist.length > 0) {
    out.push('');
    for (const line of checklist) out.push(`${'  '.repeat(line.depth)}- ${ICONS[line.state]} ${oneLine(line.label)}`);
  }
  if (view.prUrl) out.push('', `Pull request: ${view.prUrl}`);
  if (view.status === 'failed') out.push('', ...renderFailure(view));
  const usage = isTerminal(view.status) ? describeRunUsage(view) : undefined;
  if (usage) out.push('', usage);
  out.push('', `<sub>run ${view.runId}</sub>`);
  return out.join('\n');
}
