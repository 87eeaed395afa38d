import type { JobSpec } from '../../../src/domain/runner-protocol.js';

export function makeJobSpec(overrides: Omit<Partial<JobSpec>, 'repo'> & { repo?: Partial<JobSpec['repo']> } = {}): JobSpec {
  const { repo, ...rest } = overrides;
  return {
    runId: 'run_01',
    attempt: 1,
    phase: 'implement',
    pipeline: 'implement',
    shadow: false,
    deadlineAt: new Date(Date.now() + 3_600_000).toISOString(),
    ticket: {
      tracker: 'linear',
      id: 'issue-uuid-1',
      identifier: 'ENG-42',
      title: 'Add a widget counter',
      description: 'Count the widgets and show the total.',
      url: 'https://linear.app/acme/issue/ENG-42',
    },
    repo: {
      owner: 'acme',
      name: 'widgets',
      defaultBranch: 'main',
      cloneUrl: '/nonexistent',
      branch: 'ai-implement/ENG-42-add-a-widget-counter',
      ...repo,
    },
    github: { apiUrl: 'http://127.0.0.1:9', token: 'ghs_unused_token_value' },
    agent: { runtime: 'demo', provider: 'anthropic', maxTurns: 30, maxIterations: 2, maxJobMinutes: 10 },
    mappingKey: 'linear:ENG->acme/widgets',
    env: {},
    ...rest,
  };
}
