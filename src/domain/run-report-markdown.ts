import { describeAgent, describeTokens, formatCostUsd, formatCount } from './describe-usage.js';
import { formatDuration } from './format-duration.js';
import { neutraliseHiddenMarkup } from './neutralise-markup.js';
import type { ReportStep, RunReport } from './run-report.js';

/**
 * The run report as a Markdown file. Every text that came from outside (the
 * ticket, the runner, the agent) is written where Markdown does nothing with
 * it: one-line values in code spans, longer ones in fenced blocks, each
 * delimited by more backticks than the text holds. No renderer turns a code
 * span or block into a link, an image, HTML or an autolink, so a step output
 * saying `[click](javascript:…)` or `<script>` reads as those characters. The
 * only links are the ones we vouch for: the PR URL, which the server checked
 * against the run's repository when the result arrived, the review comment
 * in that same repository (`run-report.ts` drops any other), and the runner
 * job; written as autolinks only when nothing in them could end one early.
 */

const OUTPUT_MAX_CHARS = 8_000;

function longestBacktickRun(text: string): number {
  let longest = 0;
  for (const run of text.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  return longest;
}

/** One line of outside text as a code span; empty text shows as a dash. */
export function inlineCode(text: string): string {
  const line = neutraliseHiddenMarkup(text).replace(/\s+/g, ' ').trim();
  if (line === '') return '—';
  const fence = '`'.repeat(longestBacktickRun(line) + 1);
  // A span whose text starts or ends with a backtick needs a space inside its delimiters (stripped when rendered).
  const pad = line.startsWith('`') || line.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${line}${pad}${fence}`;
}

/** A table cell: GFM splits cells at `|` even inside a code span unless it is escaped. */
function cell(markdown: string): string {
  return markdown.replace(/\|/g, '\\|');
}

/** Text as a fenced block with a fence longer than any backtick run inside, so nothing in it can close the block. */
export function fencedBlock(text: string, info = 'text'): string {
  const body = neutraliseHiddenMarkup(text).replace(/\r\n?/g, '\n').trimEnd();
  const fence = '`'.repeat(Math.max(3, longestBacktickRun(body) + 1));
  return `${fence}${info}\n${body}\n${fence}`;
}

/** A URL we vouch for, as an autolink when it is a plain http(s) URL; anything else is shown, not linked. */
function link(url: string): string {
  return /^https?:\/\/[A-Za-z0-9\-._~:/?#[\]@!$&'*+,;=%]+$/.test(url) && !/[<>`|]/.test(url) ? `<${url}>` : inlineCode(url);
}

function duration(ms: number | null): string {
  return ms === null ? '—' : formatDuration(ms);
}

function stepName(step: ReportStep): string {
  return step.parentId ? `${inlineCode(step.parentId)} › ${inlineCode(step.id)}` : inlineCode(step.id);
}

function factRows(report: RunReport): Array<[string, string]> {
  const { run, usage, agent, diffStats, checks } = report;
  const rows: Array<[string, string]> = [
    ['Ticket', `${inlineCode(run.identifier)}${run.title ? ` ${inlineCode(run.title)}` : ''}`],
    ['Status', run.status],
    ['Phase', run.phase],
    ['Project', inlineCode(run.mappingKey)],
    ['Runner', `${run.backend} (mode ${inlineCode(run.runnerMode)})`],
    ['Trigger', run.triggerSource],
    ['Attempt', `${run.attempt} (dispatch #${run.dispatchNumber})`],
    ['Created', run.createdAt],
    ['Started', run.startedAt ?? '—'],
    ['Finished', run.finishedAt ?? '—'],
    ['Duration', duration(run.durationMs)],
    ['Pull request', report.pullRequest ? `${link(report.pullRequest.url)}${report.pullRequest.number !== null ? ` (#${report.pullRequest.number})` : ''}` : 'none'],
    ['Branch', report.branch ? inlineCode(report.branch) : '—'],
    ['Agent', agent ? inlineCode(`${describeAgent(agent)}${agent.provider ? ` on ${agent.provider}` : ''}`) : 'not reported'],
    ['Tokens', usage.tokens ? describeTokens(usage.tokens) : 'not reported'],
    ['Cost', usage.costUsd !== null ? formatCostUsd(usage.costUsd) : usage.tokens ? 'unknown (no price for the model, no cost from its CLI)' : 'not reported'],
    ['Commits', report.commits !== null ? formatCount(report.commits) : 'not reported'],
    [
      'Diff',
      diffStats.reported
        ? `${formatCount(diffStats.filesChanged)} file(s) changed, +${formatCount(diffStats.insertions)} / −${formatCount(diffStats.deletions)} against ${inlineCode(diffStats.base)}`
        : 'not reported',
    ],
    ['Checks', checks ? describeChecks(checks) : 'not reported'],
  ];
  if (run.shadowOf) rows.push(['Shadow of', inlineCode(run.shadowOf)]);
  if (run.upstreamUrl) rows.push(['Runner job', link(run.upstreamUrl)]);
  return rows;
}

function describeChecks(checks: NonNullable<RunReport['checks']>): string {
  if (checks.commands.length === 0) return 'none found';
  const failed = new Set(checks.failed);
  const passed = checks.commands.filter((c) => !failed.has(c));
  const parts: string[] = [];
  if (passed.length > 0) parts.push(`passed ${passed.map(inlineCode).join(', ')}`);
  if (checks.failed.length > 0) parts.push(`failed ${checks.failed.map(inlineCode).join(', ')}`);
  return parts.join('; ');
}

/** The whole report as Markdown (GitHub-flavoured: tables). */
export function renderRunReportMarkdown(report: RunReport): string {
  const { run } = report;
  const out: string[] = [`# Run report: ${inlineCode(run.identifier)} ${run.phase}`, '', `Run ${inlineCode(run.id)}, ${run.status}.`, ''];
  out.push('| | |', '|---|---|', ...factRows(report).map(([label, value]) => `| ${label} | ${cell(value)} |`), '');

  out.push('## Summary', '', report.summary ? fencedBlock(report.summary) : 'No summary was reported.', '');
  if (report.failure) {
    out.push('## Failure', '', `Failed at ${report.failure.step ? inlineCode(report.failure.step) : 'an unknown step'}:`, '', fencedBlock(report.failure.reason), '');
  }
  out.push('## Gap analysis', '');
  if (report.gapAnalysis.reported) {
    out.push(fencedBlock(report.gapAnalysis.text));
    if (report.gapAnalysis.truncated) out.push('', 'Cut short here; the whole review is on the pull request.');
    if (report.gapAnalysis.commentUrl) out.push('', `Posted on the pull request: ${link(report.gapAnalysis.commentUrl)}`);
  } else {
    out.push('Not reported: the run had no review step, or its runner predates gap analysis in reports.');
  }
  out.push('');

  out.push('## Steps', '');
  if (report.steps.length === 0) {
    out.push('No steps were reported.', '');
  } else {
    out.push('| Step | Type | Status | Started | Duration |', '|---|---|---|---|---|');
    for (const step of report.steps) out.push(`| ${cell(stepName(step))} | ${cell(inlineCode(step.type))} | ${step.status} | ${step.startedAt ?? '—'} | ${duration(step.durationMs)} |`);
    out.push('');
  }
  const withOutput = report.steps.filter((s) => s.output !== null && s.output !== undefined);
  if (withOutput.length > 0) {
    out.push('## Step outputs', '');
    for (const step of withOutput) {
      const json = JSON.stringify(step.output, null, 2);
      const shown = json.length > OUTPUT_MAX_CHARS ? `${json.slice(0, OUTPUT_MAX_CHARS)}\n… (cut; the JSON report has all of it)` : json;
      out.push(`### ${stepName(step)}`, '', fencedBlock(shown, 'json'), '');
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}
