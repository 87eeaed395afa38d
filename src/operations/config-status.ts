import type { Mapping, TrackerKind } from '../domain/mapping.js';
import { AuthError } from '../errors/index.js';
import type { Store } from '../store/store.js';
import type { Trackers } from '../trackers/create-trackers.js';

/** One line of the environment-status panel; `fix` is set when `ok` is false. */
export interface ConfigCheck {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

/** The settings the checks look at, as the composition root read them (never the values). */
export interface ConfigFacts {
  linearConfigured: boolean;
  jiraConfigured: boolean;
  githubAppConfigured: boolean;
  runnerTokenSecret: boolean;
  runnerCallbackBaseUrl: string | undefined;
  gapFillTriggerSecret: boolean;
  flyConfigured: boolean;
  /** Sandbox mode: every runner backend is an emulator or a child process on this machine. */
  sandbox?: boolean;
}

export interface ConfigStatusDeps {
  facts: ConfigFacts;
  store: Store;
  trackers: Trackers;
  /** `owner/repo` names the GitHub App can reach; absent when the app is not configured. */
  reachableRepos?: () => Promise<string[]>;
  /** Lists something cheap in the sessions app; absent when Fly is not configured. */
  probeFly?: () => Promise<void>;
}

const TRACKER_FIX: Record<TrackerKind, string> = {
  linear: 'Set LINEAR_API_KEY to a Linear personal API key (Settings → API)',
  jira: 'Set JIRA_HOST, JIRA_EMAIL and JIRA_API_TOKEN (an Atlassian API token of that user)',
};
const TRACKER_NAME: Record<TrackerKind, string> = { linear: 'Linear', jira: 'Jira' };

/** A ticket id no tracker holds: reading it proves the credentials work without touching real tickets. */
const PROBE_ISSUE = 'AIIMPLPROBE-1';

function failure(name: string, detail: string, fix: string): ConfigCheck {
  return { name, ok: false, detail, fix };
}

/**
 * Environment checks for the operator: is each integration configured and
 * does it answer with the configured credentials. Each failure names its fix.
 * Checks run side by side and one failing never hides the others.
 */
export async function checkConfigStatus(deps: ConfigStatusDeps): Promise<ConfigCheck[]> {
  const mappings = await deps.store.mappings.list();
  const checks = await Promise.all([
    ...(['linear', 'jira'] as const).map((kind) => checkTracker(deps, kind, mappings)),
    checkGitHub(deps, mappings),
    Promise.resolve(checkRunnerCallback(deps.facts)),
    Promise.resolve(checkGapFill(deps.facts)),
    checkFly(deps, mappings),
  ]);
  const out = checks.flat();
  if (!deps.facts.linearConfigured && !deps.facts.jiraConfigured) {
    out.unshift(failure('ticketing', 'No ticket system is configured, so no tickets are picked up', `${TRACKER_FIX.linear}, or ${TRACKER_FIX.jira}`));
  }
  return out;
}

async function checkTracker(deps: ConfigStatusDeps, kind: TrackerKind, mappings: Mapping[]): Promise<ConfigCheck[]> {
  const name = `ticketing:${kind}`;
  const users = mappings.filter((m) => m.trackerKind === kind).length;
  const configured = kind === 'linear' ? deps.facts.linearConfigured : deps.facts.jiraConfigured;
  const tracker = deps.trackers[kind];
  if (!configured || !tracker) {
    // An unused, unconfigured tracker is fine; one that mappings rely on is not.
    if (users === 0) return [];
    return [failure(name, `${users} mapping(s) read from ${TRACKER_NAME[kind]}, but ${TRACKER_NAME[kind]} is not configured`, TRACKER_FIX[kind])];
  }
  try {
    await tracker.getItem(PROBE_ISSUE);
    return [{ name, ok: true, detail: `${TRACKER_NAME[kind]} answered with the configured credentials (${users} mapping(s))` }];
  } catch (error) {
    if (error instanceof AuthError) return [failure(name, `${TRACKER_NAME[kind]} rejected the credentials: ${(error as Error).message}`, TRACKER_FIX[kind])];
    return [failure(name, `${TRACKER_NAME[kind]} is unreachable: ${(error as Error).message}`, `Check the ${kind === 'linear' ? 'LINEAR_API_URL' : 'JIRA_HOST'} address and the network path to it`)];
  }
}

async function checkGitHub(deps: ConfigStatusDeps, mappings: Mapping[]): Promise<ConfigCheck[]> {
  if (!deps.facts.githubAppConfigured || !deps.reachableRepos) {
    return [failure('github-app', 'No GitHub App credentials are set, so nothing can be dispatched to or read from GitHub', 'Set APP_ID and PRIVATE_KEY (or PRIVATE_KEY_PATH) from the GitHub App settings page')];
  }
  let reachable: Set<string>;
  try {
    reachable = new Set((await deps.reachableRepos()).map((r) => r.toLowerCase()));
  } catch (error) {
    return [failure('github-app', `The GitHub App could not list its installations: ${(error as Error).message}`, 'Check APP_ID, PRIVATE_KEY and GHE_HOST; the key must belong to this app')];
  }
  const checks: ConfigCheck[] = [{ name: 'github-app', ok: true, detail: `The GitHub App reaches ${reachable.size} repositor${reachable.size === 1 ? 'y' : 'ies'}` }];
  const seen = new Set<string>();
  for (const mapping of mappings) {
    const repo = `${mapping.owner}/${mapping.repo}`;
    if (seen.has(repo.toLowerCase())) continue;
    seen.add(repo.toLowerCase());
    const teams = mappings.filter((m) => `${m.owner}/${m.repo}`.toLowerCase() === repo.toLowerCase()).map((m) => m.teamKey);
    checks.push(
      reachable.has(repo.toLowerCase())
        ? { name: `github-repo:${repo}`, ok: true, detail: `Reachable (mapping ${teams.join(', ')})` }
        : failure(`github-repo:${repo}`, `Mapping ${teams.join(', ')} targets ${repo}, which the GitHub App cannot reach`, `Install the GitHub App on ${repo} (or add the repository to its installation), or fix the mapping's owner/repo`),
    );
  }
  return checks;
}

function checkRunnerCallback(facts: ConfigFacts): ConfigCheck {
  const name = 'runner-callback';
  if (!facts.runnerTokenSecret) {
    return failure(name, 'RUNNER_TOKEN_SECRET is not set: runners cannot report back (/runner/* answer 501) and nothing is dispatched', 'Set RUNNER_TOKEN_SECRET to at least 32 random bytes: openssl rand -hex 32');
  }
  if (!facts.runnerCallbackBaseUrl && facts.sandbox) {
    return { name, ok: true, detail: 'Sandbox mode: the emulated and local runners call this server on loopback; set RUNNER_CALLBACK_BASE_URL when real runners are used' };
  }
  if (!facts.runnerCallbackBaseUrl) {
    return failure(name, 'RUNNER_CALLBACK_BASE_URL is not set: runners call the address this server listens on, which GitHub Actions and Fly machines cannot reach', 'Set RUNNER_CALLBACK_BASE_URL to the public https URL of this orchestrator');
  }
  return { name, ok: true, detail: `Runners report to ${facts.runnerCallbackBaseUrl}/runner/*` };
}

function checkGapFill(facts: ConfigFacts): ConfigCheck {
  return facts.gapFillTriggerSecret
    ? { name: 'gap-fill-trigger', ok: true, detail: '/trigger/gap-fill accepts /ai-implement comments' }
    : failure('gap-fill-trigger', 'GAP_FILL_TRIGGER_SECRET is not set: /ai-implement comments on pull requests are ignored (/trigger/gap-fill answers 503)', 'Set GAP_FILL_TRIGGER_SECRET (openssl rand -hex 32) and store the same value as a secret of comment-trigger.yml in each target repository');
}

async function checkFly(deps: ConfigStatusDeps, mappings: Mapping[]): Promise<ConfigCheck> {
  const flyMappings = mappings.filter((m) => m.executionMode === 'fly-machines').map((m) => m.teamKey);
  if (!deps.facts.flyConfigured || !deps.probeFly) {
    if (flyMappings.length === 0) return { name: 'fly', ok: true, detail: 'Fly is not configured; no mapping runs on Fly Machines' };
    return failure('fly', `Mapping ${flyMappings.join(', ')} run(s) on Fly Machines, but Fly is not configured`, 'Set FLY_API_TOKEN (fly tokens create org) and FLY_SESSIONS_APP');
  }
  try {
    await deps.probeFly();
    return { name: 'fly', ok: true, detail: 'The Fly sessions app answered with the configured token' };
  } catch (error) {
    return failure('fly', `Fly did not answer as expected: ${(error as Error).message}`, 'Check FLY_API_TOKEN and that the app named by FLY_SESSIONS_APP (or the flySessionsApp setting) exists');
  }
}
