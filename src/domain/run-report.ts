import { z } from 'zod';
import { describeRunUsage } from './describe-usage.js';
import type { Run, RunAgent, RunBackend, RunPhase, RunStatus, TokenUsage, TriggerSource } from './run.js';
import { isTerminal } from './run-status.js';
import type { RunStep, StepStatus } from './step.js';

/**
 * The report of a finished run (issue 19 item 8): what the store holds about
 * it, in one shape for `GET /api/runs/:id/report`, the run page and the
 * Markdown download. Built from stored records only, so it reads the same
 * however often it is asked for. Texts are as stored (the store scrubbed
 * them); each door escapes them for its format.
 *
 * Absent facts are `null` rather than missing keys, so a consumer sees the
 * whole shape on every report; diff stats and the gap analysis say
 * `reported: false` for runs whose runner did not send them (older runners,
 * runs that failed before the review or report step).
 */
export const RUN_REPORT_VERSION = 1;

export interface ReportStep {
  id: string;
  type: string;
  parentId: string | null;
  status: StepStatus;
  startedAt: string | null;
  finishedAt: string | null;
  /** Both ends known; a step the run left running has none. */
  durationMs: number | null;
  /** The step's structured output as the runner posted it. */
  output: unknown;
}

export type ReportDiffStats = { reported: true; base: string; filesChanged: number; insertions: number; deletions: number } | { reported: false };

export type ReportGapAnalysis = { reported: true; text: string; truncated: boolean; commentUrl: string | null } | { reported: false };

export interface RunReport {
  version: typeof RUN_REPORT_VERSION;
  /** Always true: a live run has no report yet (the routes answer 409). Kept so a later partial report can say false. */
  final: true;
  run: {
    id: string;
    identifier: string;
    title: string | null;
    tracker: string;
    mappingKey: string;
    phase: RunPhase;
    status: RunStatus;
    backend: RunBackend;
    runnerMode: string;
    triggerSource: TriggerSource;
    attempt: number;
    dispatchNumber: number;
    shadowOf: string | null;
    upstreamUrl: string | null;
    createdAt: string;
    startedAt: string | null;
    finishedAt: string | null;
    /** From the runner's start (or the claim, when it never started) to the end. */
    durationMs: number | null;
  };
  summary: string | null;
  failure: { step: string | null; reason: string } | null;
  pullRequest: { url: string; number: number | null } | null;
  branch: string | null;
  agent: RunAgent | null;
  usage: {
    tokens: TokenUsage | null;
    costUsd: number | null;
    /** The sentence the ticket's final comment carries; null when the runner reported no usage. */
    description: string | null;
  };
  /** Commits the run made on its branch (the report step's count). */
  commits: number | null;
  checks: { commands: string[]; failed: string[] } | null;
  diffStats: ReportDiffStats;
  gapAnalysis: ReportGapAnalysis;
  steps: ReportStep[];
}

const count = z.number().int().nonnegative();
const reportOutput = z.object({
  commits: count.optional(),
  diffStats: z.object({ base: z.string().max(300), filesChanged: count, insertions: count, deletions: count }).optional(),
});
const reviewOutput = z.object({ url: z.string().optional(), gapAnalysis: z.string(), gapAnalysisTruncated: z.boolean().optional() });
const verifyOutput = z.object({ commands: z.array(z.string()), failed: z.array(z.string()) });

/** A finished run has a report; a live one does not yet. */
export function hasReport(run: Pick<Run, 'status'>): boolean {
  return isTerminal(run.status);
}

function spanMs(from: string | undefined, to: string | undefined): number | null {
  if (!from || !to) return null;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) && ms >= 0 ? ms : null;
}

/** The last top-level step of a type whose output reads as `schema` (a custom pipeline may rename ids, not types). */
function outputOf<T>(steps: readonly RunStep[], type: string, schema: z.ZodType<T>): T | undefined {
  for (const step of [...steps].reverse()) {
    if (step.type !== type || step.parentId) continue;
    const parsed = schema.safeParse(step.output);
    if (parsed.success) return parsed.data;
  }
  return undefined;
}

function diffStatsOf(steps: readonly RunStep[]): ReportDiffStats {
  const stats = outputOf(steps, 'report', reportOutput)?.diffStats;
  return stats ? { reported: true, ...stats } : { reported: false };
}

/**
 * The review comment's URL comes from the runner, so it is kept only where the
 * PR itself lives (same origin, same repository): the server checked the PR
 * URL against the run when the result arrived, and a report links nothing else.
 */
function inPullRepository(url: string | undefined, prUrl: string | undefined): string | null {
  if (!url || !prUrl) return null;
  try {
    const comment = new URL(url);
    const pull = new URL(prUrl);
    const repo = /^\/[^/]+\/[^/]+\//.exec(pull.pathname)?.[0];
    if (!repo || !/^https?:$/.test(comment.protocol) || comment.origin !== pull.origin || !comment.pathname.startsWith(repo)) return null;
    return comment.href;
  } catch {
    // Not a URL at all: nothing to link.
    return null;
  }
}

function gapAnalysisOf(steps: readonly RunStep[], prUrl: string | undefined): ReportGapAnalysis {
  const review = outputOf(steps, 'review', reviewOutput);
  if (!review) return { reported: false };
  const commentUrl = inPullRepository(review.url, prUrl);
  return { reported: true, text: review.gapAnalysis, truncated: review.gapAnalysisTruncated === true, commentUrl };
}

function reportStep(step: RunStep): ReportStep {
  return {
    id: step.id,
    type: step.type,
    parentId: step.parentId ?? null,
    status: step.status,
    startedAt: step.startedAt ?? null,
    finishedAt: step.finishedAt ?? null,
    durationMs: spanMs(step.startedAt, step.finishedAt),
    output: step.output ?? null,
  };
}

/** The report of a finished run from its stored record and steps (in the store's order). */
export function buildRunReport(run: Run, steps: readonly RunStep[]): RunReport {
  const verify = outputOf(steps, 'verify', verifyOutput);
  const end = run.finishedAt ?? (isTerminal(run.status) ? run.updatedAt : undefined);
  return {
    version: RUN_REPORT_VERSION,
    final: true,
    run: {
      id: run.id,
      identifier: run.identifier,
      title: run.title ?? null,
      tracker: run.tracker,
      mappingKey: run.mappingKey,
      phase: run.phase,
      status: run.status,
      backend: run.backend,
      runnerMode: run.runnerMode,
      triggerSource: run.triggerSource,
      attempt: run.attempt,
      dispatchNumber: run.dispatchNumber,
      shadowOf: run.shadowOf ?? null,
      upstreamUrl: run.upstreamUrl ?? null,
      createdAt: run.createdAt,
      startedAt: run.startedAt ?? null,
      finishedAt: run.finishedAt ?? null,
      durationMs: spanMs(run.startedAt ?? run.createdAt, end),
    },
    summary: run.summary ?? null,
    failure: run.status === 'failed' || run.failureReason ? { step: run.failedStep ?? null, reason: run.failureReason ?? 'No reason was reported.' } : null,
    pullRequest: run.prUrl ? { url: run.prUrl, number: run.prNumber ?? null } : null,
    branch: run.branch ?? null,
    agent: run.agent ?? null,
    usage: { tokens: run.tokens ?? null, costUsd: run.costUsd ?? null, description: describeRunUsage(run) ?? null },
    commits: outputOf(steps, 'report', reportOutput)?.commits ?? null,
    checks: verify ?? null,
    diffStats: diffStatsOf(steps),
    gapAnalysis: gapAnalysisOf(steps, run.prUrl),
    steps: steps.map(reportStep),
  };
}
