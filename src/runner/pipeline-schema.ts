import { z } from 'zod';
import type { JobSpec } from '../domain/runner-protocol.js';
import type { RunState } from './step-types.js';

/** Step and pipeline names double as file names, so they stay lower-case words (no paths, no dots). */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Facts an `if:` may test; a small fixed set keeps pipelines readable and typos detectable at load time. */
export const STEP_CONDITIONS = ['shadow', 'has-pr', 'has-instructions', 'has-review-comments', 'verify-failed', 'has-commits'] as const;
export type StepCondition = (typeof STEP_CONDITIONS)[number];

const TERM = `!?(?:${STEP_CONDITIONS.join('|')})`;
/** `if:` is one or more terms joined by `&&`, each a condition optionally negated: `!shadow && has-pr`. */
const CONDITION_PATTERN = new RegExp(`^\\s*${TERM}(?:\\s*&&\\s*${TERM})*\\s*$`);

export const pipelineStepSchema = z
  .object({
    id: z.string().regex(NAME_PATTERN, 'step id must be lower-case letters, digits and dashes'),
    uses: z.string().regex(NAME_PATTERN, 'uses must name a step module (lower-case letters, digits and dashes)'),
    title: z.string().max(300).optional(),
    with: z.record(z.string(), z.unknown()).optional(),
    if: z
      .string()
      .regex(CONDITION_PATTERN, `if must be conditions joined by &&, each optionally negated with !; known: ${STEP_CONDITIONS.join(', ')}`)
      .optional(),
    /** A failed step does not stop the pipeline (verify before the feedback loop). */
    continueOnError: z.boolean().optional(),
  })
  .strict();
export type PipelineStep = z.infer<typeof pipelineStepSchema>;

export const pipelineSchema = z
  .object({
    description: z.string().optional(),
    steps: z.array(pipelineStepSchema).min(1).max(100),
  })
  .strict()
  .superRefine((pipeline, ctx) => {
    const seen = new Set<string>();
    pipeline.steps.forEach((step, index) => {
      if (seen.has(step.id)) ctx.addIssue({ code: 'custom', message: `duplicate step id "${step.id}"`, path: ['steps', index, 'id'] });
      seen.add(step.id);
    });
  });
export type Pipeline = z.infer<typeof pipelineSchema>;

export function conditionFacts(job: JobSpec, state: RunState): Record<StepCondition, boolean> {
  return {
    shadow: job.shadow,
    'has-pr': state.pr !== undefined || job.repo.prNumber !== undefined,
    'has-instructions': (job.instructions ?? '').trim() !== '',
    'has-review-comments': (job.reviewComments ?? []).length > 0,
    'verify-failed': state.verifyFailures.length > 0,
    'has-commits': state.commits > 0,
  };
}

/** Evaluates a validated `if:`; an absent condition always holds. */
export function evaluateCondition(expression: string | undefined, facts: Record<StepCondition, boolean>): boolean {
  if (expression === undefined) return true;
  return expression.split('&&').every((raw) => {
    const term = raw.trim();
    const negated = term.startsWith('!');
    const value = facts[(negated ? term.slice(1) : term) as StepCondition];
    return negated ? !value : value;
  });
}
