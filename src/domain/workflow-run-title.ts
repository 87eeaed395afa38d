/**
 * How a run id travels in a GitHub Actions workflow run's title: the
 * workflow templates set `run-name: AI-Implement ${{ inputs.run_id }}`, and
 * GitHub reports it as the run's `display_title`. The Actions backend reads
 * it to find a dispatched run, the `workflow_run` webhook handler to find
 * the run a job belongs to; both read it through these functions.
 */

/** `AI-Implement <runId> …` → runId; a title without the prefix is not ours. */
export function runIdOf(displayTitle: string | undefined): string | undefined {
  return /\bAI-Implement\s+([^\s()[\],]+)/.exec(displayTitle ?? '')?.[1];
}

/**
 * Whole-token match, so `run_1` does not match `AI-Implement run_10`; a
 * customised run-name only has to contain the run id somewhere.
 */
export function titleNamesRun(displayTitle: string | undefined, runId: string): boolean {
  return (displayTitle ?? '').split(/[\s()[\],]+/).includes(runId);
}
