import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { MAPPING_DEFAULTS } from '../../src/domain/mapping-schema.js';

/** A workflow that times out before the run's own limit kills runs the orchestrator still counts as live. */
describe('the workflow templates give a job at least the default run time', () => {
  for (const file of [MAPPING_DEFAULTS.workflowFile, MAPPING_DEFAULTS.planningWorkflowFile]) {
    it(`${file}: every job's timeout-minutes ≥ maxJobMinutes (${MAPPING_DEFAULTS.maxJobMinutes})`, () => {
      const workflow = parse(readFileSync(`workflow-templates/${file}`, 'utf8')) as { jobs: Record<string, { 'timeout-minutes'?: number }> };
      for (const [name, job] of Object.entries(workflow.jobs)) {
        expect(job['timeout-minutes'], `${file} job ${name}`).toBeGreaterThanOrEqual(MAPPING_DEFAULTS.maxJobMinutes);
      }
    });
  }
});
