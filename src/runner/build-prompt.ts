import type { JobSpec } from '../domain/runner-protocol.js';
import type { VerifyFailure } from './step-types.js';

export type PromptKind = 'plan' | 'implement' | 'feedback' | 'review';

const MAX_DIFF_CHARS = 60_000;

/** Ticket text is written by anyone who can file a ticket; fencing it marks it as data, not as instructions to us. */
function ticketBlock(job: JobSpec): string {
  const { ticket } = job;
  return [
    `Ticket ${ticket.identifier}: ${ticket.title}`,
    `Link: ${ticket.url}`,
    '<ticket-description>',
    ticket.description.trim() || '(no description)',
    '</ticket-description>',
  ].join('\n');
}

function extrasBlock(job: JobSpec): string[] {
  const out: string[] = [];
  if (job.instructions?.trim()) out.push('', 'Additional instructions from a maintainer:', '<instructions>', job.instructions.trim(), '</instructions>');
  if (job.reviewComments && job.reviewComments.length > 0) {
    out.push('', 'Review comments to address:');
    for (const c of job.reviewComments) out.push(`- ${c.author}${c.path ? ` on ${c.path}${c.line ? `:${c.line}` : ''}` : ''}: ${c.body}`);
  }
  return out;
}

export interface PromptExtras {
  /** Text from WORKFLOW.md / PLANNING.md after the front matter. */
  guidance?: string;
  failures?: VerifyFailure[];
  diff?: string;
}

export function buildAgentPrompt(job: JobSpec, kind: PromptKind, extras: PromptExtras = {}): string {
  const lines: string[] = [];
  if (kind === 'plan') {
    lines.push('Analyse this repository and write an implementation plan for the ticket below. Do not modify any files.');
  } else if (kind === 'review') {
    lines.push('Review the diff below against the ticket. List what the ticket asks for that the diff does not do (a gap analysis), then any defects. Do not modify any files.');
  } else if (kind === 'feedback') {
    lines.push('The repository checks fail after your change. Fix the failures below without weakening or deleting tests.');
  } else {
    lines.push('Implement the ticket below in this repository. Keep the change focused, follow the existing style, and add or update tests.');
  }
  lines.push('', ticketBlock(job), ...extrasBlock(job));
  if (extras.failures && extras.failures.length > 0) {
    lines.push('', 'Failing checks:');
    for (const f of extras.failures) lines.push(`$ ${f.command} (exit ${f.exitCode ?? 'killed'})`, f.outputTail.trim(), '');
  }
  if (extras.diff !== undefined) {
    const diff = extras.diff.length > MAX_DIFF_CHARS ? `${extras.diff.slice(0, MAX_DIFF_CHARS)}\n… (diff truncated)` : extras.diff;
    lines.push('', '<diff>', diff || '(empty diff)', '</diff>');
  }
  if (extras.guidance?.trim()) lines.push('', 'Repository guidance:', extras.guidance.trim());
  return lines.join('\n');
}
