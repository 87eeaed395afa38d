import { formatDuration } from '../../domain/format-duration.js';
import type { RunStatus } from '../../domain/run.js';

/** Moved to the domain so the run report words durations as the panels do; kept here for the panels' imports. */
export { formatDuration };

/** Badge colours; the stylesheet knows these five. */
export type Tone = 'ok' | 'warn' | 'bad' | 'info' | 'muted';

export function timeAgo(iso: string | undefined, now: number): string {
  if (!iso) return '—';
  const ms = now - Date.parse(iso);
  if (!Number.isFinite(ms)) return '—';
  return ms < 0 ? 'just now' : `${formatDuration(ms)} ago`;
}

/** Stable, sortable and the same for every viewer: UTC without the T. */
export function formatTime(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function statusTone(status: RunStatus | string): Tone {
  switch (status) {
    case 'pr_opened':
    case 'succeeded':
    case 'passed':
    case 'completed':
    case 'destroyed':
      return 'ok';
    case 'failed':
    case 'timed_out':
    case 'interrupted':
    case 'review_failed':
    case 'missing':
      return 'bad';
    case 'running':
    case 'launching':
    case 'claimed':
    case 'started':
      return 'info';
    case 'queued':
    case 'retrying':
    case 'dry-run':
    case 'paused':
      return 'warn';
    default:
      return 'muted';
  }
}

export const BACKEND_LABELS: Record<string, string> = { 'github-actions': 'GitHub Actions', 'fly-machines': 'Fly Machines', local: 'Local' };

export function percent(part: number, whole: number): number {
  return whole > 0 ? Math.round((part / whole) * 100) : 0;
}
