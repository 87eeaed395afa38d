import { buildMapping } from '../../support/test-mapping.js';
import { Octokit } from '@octokit/rest';
import type { Mapping } from '../../../src/domain/mapping.js';
import type { RunTokenIssuer, RunTokenPair } from '../../../src/domain/runner-protocol.js';
import type { DispatchRequest } from '../../../src/runners/runner-backend.js';
import { GitHubEmulator } from '../../../src/sandbox/github/index.js';

export const ORCHESTRATOR_URL = 'http://127.0.0.1:3999';
export const RUN_NAME = 'AI-Implement ${{ inputs.run_id }}';

export function testMapping(overrides: Partial<Mapping> = {}): Mapping {
  return buildMapping({ maxInProgressAiIssues: 10, maxJobMinutes: 30, ...overrides });
}

/** Deterministic tokens: minting JWTs belongs to the callback routes, not to dispatch. */
export class FixedTokenIssuer implements RunTokenIssuer {
  readonly minted: Array<{ runId: string; attempt: number; deadlineAt: string }> = [];
  mint(runId: string, attempt: number, deadlineAt: string): RunTokenPair {
    this.minted.push({ runId, attempt, deadlineAt });
    return { progressToken: `progress-${runId}-${attempt}`, resultToken: `result-${runId}-${attempt}`, expiresAt: deadlineAt };
  }
}

export function dispatchRequest(runId: string, mapping: Mapping, overrides: Partial<DispatchRequest> = {}): DispatchRequest {
  return {
    runId,
    attempt: 1,
    phase: 'implement',
    issueIdentifier: 'ENG-1',
    mapping,
    orchestratorUrl: ORCHESTRATOR_URL,
    env: { AI_IMPLEMENT_RUN_ID: runId, AI_IMPLEMENT_PROGRESS_TOKEN: `progress-${runId}`, AI_IMPLEMENT_RESULT_TOKEN: `result-${runId}` },
    secrets: {},
    deadlineAt: new Date(Date.now() + 30 * 60_000).toISOString(),
    shadow: false,
    ...overrides,
  };
}

/** A GitHub emulator with acme/app, its two workflows, and a client factory like the App's. */
export async function startGitHub(): Promise<{ github: GitHubEmulator; getOctokit: (owner: string, repo: string) => Promise<Octokit> }> {
  const github = new GitHubEmulator();
  await github.start();
  const installation = github.state.addInstallation({ account: 'acme' });
  github.state.addRepo({ owner: 'acme', name: 'app' });
  const inputs = { run_id: { required: true }, orchestrator_url: { required: true } };
  github.state.addWorkflow('acme', 'app', { file: 'claude-implement.yml', name: 'AI-Implement', runName: RUN_NAME, inputs });
  github.state.addWorkflow('acme', 'app', { file: 'claude-plan.yml', name: 'AI-Implement plan', runName: RUN_NAME, inputs });
  const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
  // Plain @octokit/rest: no retry plugin, so a POST is sent exactly once.
  const getOctokit = async (_owner: string, _repo: string): Promise<Octokit> =>
    new Octokit({ auth: github.issueToken(installation.id).token, baseUrl: github.url, log: silent });
  return { github, getOctokit };
}
