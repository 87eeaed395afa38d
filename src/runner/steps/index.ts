import { fileURLToPath } from 'node:url';
import type { StepModule } from '../step-types.js';
import { cloneStep } from './clone.js';
import { feedbackLoopStep } from './feedback-loop.js';
import { implementStep } from './implement.js';
import { installStep } from './install.js';
import { openPrStep } from './open-pr.js';
import { planStep } from './plan.js';
import { pushStep } from './push.js';
import { reportStep } from './report.js';
import { reviewStep } from './review.js';
import { verifyStep } from './verify.js';

/** Built-in step modules by the id pipelines name in `uses:`. */
export const BUILT_IN_STEPS: Readonly<Record<string, StepModule>> = {
  clone: cloneStep,
  install: installStep,
  plan: planStep,
  implement: implementStep,
  verify: verifyStep,
  'feedback-loop': feedbackLoopStep,
  push: pushStep,
  'open-pr': openPrStep,
  review: reviewStep,
  report: reportStep,
};

/** `.ts` under tsx, `.js` when compiled; the admin listing shows where each built-in lives. */
const EXT = import.meta.url.endsWith('.ts') ? 'ts' : 'js';

export function builtInStepPath(id: string): string {
  return fileURLToPath(new URL(`./${id}.${EXT}`, import.meta.url));
}
