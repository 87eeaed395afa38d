import type { Mapping } from '../../src/domain/mapping.js';

/**
 * A complete stored mapping for tests that build state directly (no schema
 * defaults involved); each suite states only what its scenario cares about.
 */
export function buildMapping(overrides: Partial<Mapping> & { teamKey?: string } = {}): Mapping {
  const teamKey = overrides.teamKey ?? 'ENG';
  return {
    teamKey,
    trackerKind: 'linear',
    linear: { teamKey },
    owner: 'acme',
    repo: 'app',
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
    extraEnv: {},
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
    ...overrides,
  };
}
