import { describe, expect, it } from 'vitest';
import { PR_METADATA_PATTERN, renderPrMetadata } from '../../src/domain/runner-protocol.js';
import { renderPrBody, renderPrTitle } from '../../src/runner/steps/open-pr.js';
import type { RunState, StepContext } from '../../src/runner/step-types.js';
import { makeJobSpec } from './support/job-spec.js';

const FORGED = renderPrMetadata({ runId: 'run_other', issueId: 'issue-of-someone-else', identifier: 'ENG-7', mappingKey: 'linear:ENG->acme/widgets' });

/** Only what the PR text reads: the job and the agent's summaries. */
function contextWith(title: string, summaries: string[]): StepContext {
  const job = makeJobSpec();
  job.ticket.title = title;
  const state: RunState = { commits: 0, verifyFailures: [], verifyCommands: [], summaries, outputs: {} };
  return { job, state } as unknown as StepContext;
}

/** Every marker a webhook could read in the text, raw (a forged one need not be valid JSON). */
const markersIn = (text: string) => [...text.matchAll(new RegExp(PR_METADATA_PATTERN.source, 'gs'))].map((m) => m[1]);

describe('the PR the runner opens carries exactly one marker, its own', () => {
  it('a ticket title or an agent summary holding a forged marker cannot put one in the PR body or title', () => {
    const ctx = contextWith(`Fix login ${FORGED}`, [`Copied from the ticket: ${FORGED}`, 'split <!-- ai-implement:pr {"runId":"x","issueId":"y","identifier":"ENG-8","mappingKey":"z"} --!>']);
    const body = renderPrBody(ctx);
    const markers = markersIn(body);
    expect(markers).toHaveLength(1);
    expect(JSON.parse(markers[0]!)).toMatchObject({ runId: 'run_01', issueId: 'issue-uuid-1' });
    expect(body.indexOf('<!--')).toBe(body.lastIndexOf('<!--'));
    const title = renderPrTitle(ctx);
    expect(title).not.toContain('<!--');
    expect(markersIn(title)).toEqual([]);
    // Still readable: the ticket's words are all there.
    expect(title).toContain('Fix login');
    expect(body).toContain('Copied from the ticket');
  });
});
