import type { Mapping } from '../../../domain/mapping.js';
import { formatCostUsd } from '../../../domain/describe-usage.js';
import type { Run } from '../../../domain/run.js';
import { isTerminal } from '../../../domain/run-status.js';
import { BACKEND_LABELS, formatDuration, formatTime, statusTone, type Tone } from '../format.js';

/** One run as every table shows it. */
export interface RunRow {
  id: string;
  href: string;
  identifier: string;
  title: string;
  mappingKey: string;
  repo: string;
  phase: string;
  status: string;
  statusTone: Tone;
  backend: string;
  runnerMode: string;
  triggerSource: string;
  sessionImage: string;
  dispatchNumber: number;
  attempt: number;
  prUrl?: string;
  prLabel?: string;
  createdAt: string;
  createdText: string;
  /** Start of the live clock for an active run (ISO), for the ticking duration. */
  liveSince?: string;
  durationText: string;
  failureReason?: string;
  failedStep?: string;
  upstreamUrl?: string;
  /** What the run's agent cost, when known (the CLI's figure or list price). */
  costText?: string;
  /** The cost in USD for sorting; -1 when unknown so unknown sorts below free. */
  costSort: number;
  owner?: string;
  /** The owner is RUN_OWNER_FALLBACK (nobody was named): shown as a badge. */
  ownerFallback: boolean;
}

export function runHref(id: string): string {
  return `/admin/runs/${encodeURIComponent(id)}`;
}

export function runDurationMs(run: Run, now: number): number {
  const start = Date.parse(run.startedAt ?? run.createdAt);
  const end = run.finishedAt ? Date.parse(run.finishedAt) : isTerminal(run.status) ? Date.parse(run.updatedAt) : now;
  return end - start;
}

export function toRunRow(run: Run, mappings: ReadonlyMap<string, Mapping>, now: number): RunRow {
  const mapping = mappings.get(run.mappingKey);
  const active = !isTerminal(run.status);
  return {
    id: run.id,
    href: runHref(run.id),
    identifier: run.identifier,
    title: run.title ?? '',
    mappingKey: run.mappingKey,
    repo: mapping ? `${mapping.owner}/${mapping.repo}` : '—',
    phase: run.phase,
    status: run.status,
    statusTone: statusTone(run.status),
    backend: BACKEND_LABELS[run.backend] ?? run.backend,
    runnerMode: run.runnerMode,
    triggerSource: run.triggerSource,
    sessionImage: run.sessionImage ?? '—',
    dispatchNumber: run.dispatchNumber,
    attempt: run.attempt,
    ...(run.prUrl ? { prUrl: run.prUrl, prLabel: run.prNumber ? `#${run.prNumber}` : 'PR' } : {}),
    createdAt: run.createdAt,
    createdText: formatTime(run.createdAt),
    ...(active ? { liveSince: run.startedAt ?? run.createdAt } : {}),
    durationText: formatDuration(runDurationMs(run, now)),
    ...(run.failureReason ? { failureReason: run.failureReason } : {}),
    ...(run.failedStep ? { failedStep: run.failedStep } : {}),
    ...(run.upstreamUrl ? { upstreamUrl: run.upstreamUrl } : {}),
    ...(run.costUsd !== undefined ? { costText: formatCostUsd(run.costUsd) } : {}),
    costSort: run.costUsd ?? -1,
    ...(run.owner ? { owner: run.owner } : {}),
    ownerFallback: run.ownerFallback === true,
  };
}

export async function mappingIndex(list: Promise<Mapping[]>): Promise<Map<string, Mapping>> {
  return new Map((await list).map((m) => [m.teamKey, m]));
}
