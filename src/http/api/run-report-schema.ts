import { z } from 'zod';
import { TRIGGER_SOURCES } from '../../domain/run.js';
import { STEP_STATUSES, resultBodySchema, tokenUsageSchema } from '../../domain/runner-protocol.js';

/**
 * `GET /api/runs/:runId/report` as JSON, described for the OpenAPI document
 * (`domain/run-report.ts` builds it; answers are not validated against this).
 */
const nullableString = z.string().nullable();
const count = z.number().int();

export const runReportSchema = z.object({
  version: z.literal(1),
  final: z.literal(true).describe('A report is only written for a finished run'),
  run: z.object({
    id: z.string(),
    identifier: z.string(),
    title: nullableString,
    tracker: z.string(),
    mappingKey: z.string(),
    phase: z.enum(['plan', 'implement', 'gap-fill', 'review-feedback']),
    status: z.enum(['pr_opened', 'succeeded', 'failed', 'timed_out', 'cancelled', 'interrupted']),
    backend: z.enum(['github-actions', 'fly-machines', 'local']),
    runnerMode: z.string(),
    triggerSource: z.enum(TRIGGER_SOURCES),
    attempt: count,
    dispatchNumber: count,
    shadowOf: nullableString,
    upstreamUrl: nullableString,
    createdAt: z.string(),
    startedAt: nullableString,
    finishedAt: nullableString,
    durationMs: count.nullable(),
  }),
  summary: nullableString,
  failure: z.object({ step: nullableString, reason: z.string() }).nullable(),
  pullRequest: z.object({ url: z.string(), number: count.nullable() }).nullable(),
  branch: nullableString,
  agent: resultBodySchema.shape.agent.unwrap().nullable(),
  usage: z.object({ tokens: tokenUsageSchema.nullable(), costUsd: z.number().nullable(), description: nullableString }),
  commits: count.nullable(),
  checks: z.object({ commands: z.array(z.string()), failed: z.array(z.string()) }).nullable(),
  diffStats: z.union([
    z.object({ reported: z.literal(true), base: z.string(), filesChanged: count, insertions: count, deletions: count }),
    z.object({ reported: z.literal(false) }).describe('The runner did not send diff stats (older runner, or the run failed before its report step)'),
  ]),
  gapAnalysis: z.union([
    z.object({ reported: z.literal(true), text: z.string(), truncated: z.boolean(), commentUrl: nullableString }),
    z.object({ reported: z.literal(false) }).describe('No review step reported one'),
  ]),
  steps: z.array(
    z.object({
      id: z.string(),
      type: z.string(),
      parentId: nullableString,
      status: z.enum(STEP_STATUSES),
      startedAt: nullableString,
      finishedAt: nullableString,
      durationMs: count.nullable(),
      output: z.unknown(),
    }),
  ),
});
