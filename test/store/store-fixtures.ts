import type { Mapping } from '../../src/domain/mapping.js';
import type { Clock, ClaimIntent, Store } from '../../src/store/store.js';

export const T0 = Date.parse('2025-03-01T12:30:00.000Z');

/** A clock tests move by hand, so expiry is tested without sleeping. */
export class ManualClock {
  constructor(public now = T0) {}
  readonly read: Clock = () => this.now;
  advance(ms: number): void {
    this.now += ms;
  }
}

export type StoreFactory = (clock: Clock) => Promise<Store>;

export function intent(overrides: Partial<ClaimIntent> = {}): ClaimIntent {
  return {
    issueId: 'issue-1',
    identifier: 'ENG-1',
    tracker: 'linear',
    mappingKey: 'ENG',
    phase: 'implement',
    backend: 'github-actions',
    runnerMode: 'default',
    triggerSource: 'poll',
    ...overrides,
  };
}

export function mapping(teamKey: string, overrides: Partial<Mapping> = {}): Mapping {
  return {
    teamKey,
    trackerKind: 'linear',
    linear: { teamKey },
    owner: 'acme',
    repo: teamKey.toLowerCase(),
    defaultBranch: 'main',
    executionMode: 'github-actions',
    agentRuntime: 'claude-code',
    provider: 'anthropic',
    maxInProgressAiIssues: 3,
    maxTurns: 50,
    maxIterations: 3,
    maxJobMinutes: 60,
    planningEnabled: false,
    autoApprovePlans: false,
    paused: false,
    extraEnv: { FOO: 'bar' },
    createdAt: new Date(T0).toISOString(),
    updatedAt: new Date(T0).toISOString(),
    ...overrides,
  };
}
