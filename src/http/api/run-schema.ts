import { z } from 'zod';
import { RUN_STATUSES, TRIGGER_SOURCES } from '../../domain/run.js';
import { resultBodySchema, tokenUsageSchema } from '../../domain/runner-protocol.js';

/**
 * A run as `/api` answers it (the stored record), described for
 * `GET /api/openapi.json`. Answers are not validated against it; it says what
 * a client can count on, the agent's usage included.
 */
export const runAnswerSchema = z.object({
  id: z.string(),
  issueId: z.string(),
  identifier: z.string(),
  title: z.string().optional(),
  tracker: z.enum(['linear', 'jira']),
  mappingKey: z.string(),
  phase: z.enum(['plan', 'implement', 'gap-fill', 'review-feedback']),
  status: z.enum(RUN_STATUSES).describe('pr_opened: finished with a pull request; succeeded: finished without one (a plan)'),
  attempt: z.number().int(),
  dispatchNumber: z.number().int(),
  backend: z.enum(['github-actions', 'fly-machines', 'local']),
  runnerMode: z.string(),
  triggerSource: z.enum(TRIGGER_SOURCES),
  upstreamId: z.string().optional(),
  upstreamUrl: z.string().optional(),
  sessionImage: z.string().optional(),
  prUrl: z.string().optional(),
  prNumber: z.number().int().optional(),
  branch: z.string().optional(),
  summary: z.string().optional(),
  failureReason: z.string().optional().describe("Why the run failed: the step's summary, then the agent CLI's own reason when it gave one"),
  failedStep: z.string().optional(),
  costUsd: z.number().optional().describe("USD the agent's calls cost: the CLI's own figure, else list price from the dated price table; absent when unknown"),
  tokens: tokenUsageSchema.optional().describe('Tokens the agent used over the run; cache reads and writes apart from `input`'),
  agent: resultBodySchema.shape.agent.unwrap().optional().describe('The agent that did the work (after any fallback) and its model'),
  instructions: z.string().optional(),
  owner: z.string().optional().describe('Who owns the run (an email): the ticket assignee’s, an operator’s choice, or RUN_OWNER_FALLBACK'),
  ownerFallback: z.boolean().optional().describe('true when the owner is RUN_OWNER_FALLBACK because nobody was named'),
  shadowOf: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  deadlineAt: z.string().optional(),
  heartbeatAt: z.string().optional().describe("The runner's latest progress or heartbeat call"),
  retryAt: z.string().optional(),
  transitions: z
    .array(z.object({ from: z.enum(RUN_STATUSES), to: z.enum(RUN_STATUSES), at: z.string(), reason: z.string().optional() }))
    .optional()
    .describe('Every status change, oldest first (the newest 50)'),
  retryOf: z.string().optional().describe('The run this one retries (an operator retry or crash recovery)'),
  /** Which replica holds (or last held) the run's dispatch, and until when. */
  dispatchLease: z.object({ holder: z.string(), until: z.string() }).optional(),
  claimedBy: z.string().optional().describe('Lease holder: the replica holding the run’s claim (the one that last dispatched it)'),
});

/** A dispatch-log entry: the run without its free-text instructions, plus its mapping's repository. */
export const dispatchLogEntrySchema = runAnswerSchema.omit({ instructions: true }).extend({ repo: z.string().optional() });
