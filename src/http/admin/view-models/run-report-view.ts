import { describeAgent, describeTokens, formatCostUsd, formatCount } from '../../../domain/describe-usage.js';
import type { RunReport } from '../../../domain/run-report.js';
import { formatDuration, formatTime, statusTone, type Tone } from '../format.js';

/**
 * The run page's Report card, dressed from the same report the API and the
 * downloads answer; the failure stays in the page's own alert box. Every
 * value is text for `<%=`; the only hrefs are the PR URL (checked against the
 * run's repository when the result arrived) and the review comment in that
 * repository, and only when they are http(s).
 */
export interface RunReportView {
  facts: { label: string; value: string; href?: string }[];
  summary?: string;
  steps: { name: string; type: string; status: string; tone: Tone; started: string; duration: string }[];
  gapAnalysis: { reported: false } | { reported: true; text: string; truncated: boolean; commentUrl?: string };
  downloads: { markdown: string; json: string };
}

const httpUrl = (url: string | null | undefined): string | undefined => (url && /^https?:\/\//i.test(url) ? url : undefined);
const duration = (ms: number | null): string => (ms === null ? '—' : formatDuration(ms));

export function buildRunReportView(report: RunReport): RunReportView {
  const { run, usage, agent, diffStats, checks, pullRequest } = report;
  const facts: RunReportView['facts'] = [
    { label: 'Outcome', value: `${run.status} after ${duration(run.durationMs)}` },
    pullRequest
      ? { label: 'Pull request', value: pullRequest.number !== null ? `#${pullRequest.number}` : pullRequest.url, ...(httpUrl(pullRequest.url) ? { href: pullRequest.url } : {}) }
      : { label: 'Pull request', value: 'none' },
    { label: 'Branch', value: report.branch ?? '—' },
    {
      label: 'Diff',
      value: diffStats.reported
        ? `${formatCount(diffStats.filesChanged)} file(s) changed, +${formatCount(diffStats.insertions)} / −${formatCount(diffStats.deletions)} against ${diffStats.base}`
        : 'not reported',
    },
    { label: 'Commits', value: report.commits !== null ? formatCount(report.commits) : 'not reported' },
    {
      label: 'Checks',
      value: checks ? (checks.commands.length === 0 ? 'none found' : checks.failed.length > 0 ? `failed: ${checks.failed.join(', ')}` : `passed: ${checks.commands.join(', ')}`) : 'not reported',
    },
    { label: 'Agent', value: agent ? `${describeAgent(agent)}${agent.provider ? ` on ${agent.provider}` : ''}` : 'not reported' },
    { label: 'Tokens', value: usage.tokens ? describeTokens(usage.tokens) : 'not reported' },
    { label: 'Cost', value: usage.costUsd !== null ? formatCostUsd(usage.costUsd) : usage.tokens ? 'unknown' : 'not reported' },
  ];
  const base = `/admin/runs/${encodeURIComponent(run.id)}`;
  const gap = report.gapAnalysis;
  const commentUrl = gap.reported ? httpUrl(gap.commentUrl) : undefined;
  return {
    facts,
    ...(report.summary ? { summary: report.summary } : {}),
    steps: report.steps.map((s) => ({
      name: s.parentId ? `${s.parentId} › ${s.id}` : s.id,
      type: s.type,
      status: s.status,
      tone: statusTone(s.status),
      started: s.startedAt ? formatTime(s.startedAt) : '—',
      duration: duration(s.durationMs),
    })),
    gapAnalysis: gap.reported ? { reported: true, text: gap.text, truncated: gap.truncated, ...(commentUrl ? { commentUrl } : {}) } : { reported: false },
    downloads: { markdown: `${base}/report.md`, json: `${base}/report.json` },
  };
}
