import { buildMapping } from '../support/test-mapping.js';
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
  const at = new Date(T0).toISOString();
  return buildMapping({ teamKey, repo: teamKey.toLowerCase(), extraEnv: { FOO: 'bar' }, createdAt: at, updatedAt: at, ...overrides });
}
