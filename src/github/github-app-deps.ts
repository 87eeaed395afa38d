import type { Logger } from 'pino';
import type { Mapping } from '../domain/mapping.js';
import type { Run } from '../domain/run.js';
import type { SettleDeps } from '../orchestrator/settle-run-outcome.js';
import type { KeyedLock } from '../orchestrator/keyed-lock.js';
import type { RecentKeys } from './recent-keys.js';
import type { ReviewFeedbackBatcher } from '../orchestrator/review-feedback.js';
import type { GapFillDeps } from '../orchestrator/start-gap-fill.js';

/** What the Probot app's handlers run on: our own interfaces, injected by the composition root. */
export interface GitHubAppDeps extends GapFillDeps {
  log: Logger;
  settle: SettleDeps;
  feedback: ReviewFeedbackBatcher;
  /** Stops a run's backend job (stopping one that already ended is not an error). */
  cancelUpstream: (run: Run, mapping: Mapping) => Promise<void>;
  /** `/ai-implement` comments this process has finished with: redeliveries skip their API calls. */
  handledCommands: RecentKeys;
  locks: KeyedLock;
  /** Scrubs every pull request comment the handlers post (the process's SecretRegistry). */
  redact?: (text: string) => string;
}
